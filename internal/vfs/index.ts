export { compileTemplate, renderPath, DEFAULT_TEMPLATE, TEMPLATE_VARIABLES, TemplateError, type CompiledTemplate, type TemplateTrack } from "./template.ts";
export { sanitizeName, shortenName, withCollisionSuffix, byteLength, NAME_MAX_BYTES } from "./names.ts";
export { VfsTree, ROOT_INO, FILE_INO_BASE, type VfsTrack, type VfsFile, type VfsDir, type VfsNode } from "./tree.ts";
export { dirInoFor } from "./ino.ts";
export { fileName, folderName, NO_EDITS, TRASH_DIR, type NameHolder, type TreeEdits } from "./edits.ts";
