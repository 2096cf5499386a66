// Config errors name the key ("origins[2].priority: …") so a user can find the line to fix.
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ""}${key ? `${key}: ` : ""}${detail}`);
    this.name = "ConfigError";
  }
}
