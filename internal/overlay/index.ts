// Metadata overlay (FR-5.3): the header a file shows through the mount once its tags are edited,
// computed from the original's head bytes and the edits; the origin file is never touched.
// Pure: no FUSE, no catalog. See README.md beside this file.
export { planOverlay, readPlanned, plannedSegments, overlayFormat, type OverlayPlan, type PlannedSegments } from "./plan.ts";
export { OverlayError, type OverlayErrorCode } from "./errors.ts";
export { validateOverlayTags, toOverlayTags, mergeTags, OVERLAY_FIELDS, MAX_VALUE_BYTES, MAX_VALUES, MAX_EDIT_BYTES, type OverlayTags, type OverlayField, type TagValues, type Edits } from "./tags.ts";
export type { ReadRange } from "./bytes.ts";
