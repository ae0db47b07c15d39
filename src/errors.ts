/**
 * Typed errors for users of the harness. Each names the file, config key or layer at fault, so the
 * command line can print one clear line without a stack trace.
 */

/** Base class of every error the harness reports to a user. */
export class PrivedgeError extends Error {
  /** A short machine-readable code, e.g. `CONFIG`, `DATASET`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration problem: `keyPath` names the offending key, e.g. `dataset.split.testFraction`. */
export class ConfigError extends PrivedgeError {
  readonly keyPath: string;
  readonly file: string | undefined;

  constructor(keyPath: string, message: string, options?: { file?: string; cause?: unknown }) {
    const where = options?.file ? `${options.file}: ` : '';
    super('CONFIG', `${where}${keyPath ? `${keyPath}: ` : ''}${message}`, options);
    this.keyPath = keyPath;
    this.file = options?.file;
  }
}

/** A dataset problem: `file` names the file or folder at fault. */
export class DatasetError extends PrivedgeError {
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super('DATASET', `${file}: ${message}`, options);
    this.file = file;
  }
}

/** A tensor or array with the wrong shape; `what` names the array or layer. */
export class ShapeError extends PrivedgeError {
  constructor(what: string, message: string, options?: { cause?: unknown }) {
    super('SHAPE', `${what}: ${message}`, options);
  }
}

/** A failure inside a cryptographic protocol (overflow, bad share, tampered message). */
export class ProtocolError extends PrivedgeError {
  constructor(step: string, message: string, options?: { cause?: unknown }) {
    super('PROTOCOL', `${step}: ${message}`, options);
  }
}

/** Wrong command-line usage. */
export class UsageError extends PrivedgeError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** A problem writing or reading a run folder. */
export class RunError extends PrivedgeError {
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('RUN', `${path}: ${message}`, options);
  }
}

/**
 * A file system failure (full disk, quota, read-only or vanished folder, I/O error) while writing
 * `path`. `errno` is the system code, e.g. `ENOSPC`.
 */
export class DiskError extends RunError {
  readonly path: string;
  readonly errno: string;

  constructor(path: string, cause: NodeJS.ErrnoException) {
    const code = cause.code ?? 'EIO';
    const what = DISK_ERRORS[code] ?? cause.message.replace(/^[A-Z]+: /, '').replace(/, \w+ .*$/, '');
    super(path, `cannot write: ${what} (${code})`, { cause });
    this.path = path;
    this.errno = code;
  }
}

const DISK_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'its folder no longer exists',
  EIO: 'input/output error',
};

/** Message of any thrown value, for logs and run manifests. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
