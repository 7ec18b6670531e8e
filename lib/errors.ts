/** Bad invocation or unusable input path: the CLI exits 2 with the message. */
export class UsageError extends Error {}
