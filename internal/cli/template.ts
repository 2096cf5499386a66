// `--template TPL` for the commands that show the mount's tree (mount, trash): the default, or a
// template that compiles; a bad one is a usage error (exit 2) naming the position.
import { compileTemplate, DEFAULT_TEMPLATE, TemplateError } from "../vfs/index.ts";
import { UsageError } from "./errors.ts";

export function templateOption(value: unknown): string {
  const template = String(value ?? DEFAULT_TEMPLATE);
  try {
    compileTemplate(template);
  } catch (e) {
    if (e instanceof TemplateError) throw new UsageError(`--template: ${e.message}`);
    throw e;
  }
  return template;
}
