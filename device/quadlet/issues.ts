/**
 * A problem found in the configuration, shaped like the provisioning helper's Issue
 * (device/provisioning/config.ts) so the importer can merge both lists unchanged.
 * `path` is dotted with array indices, e.g. `container.web.Container.PublishPort[0]`.
 */
export interface Issue {
  path: string;
  message: string;
}
