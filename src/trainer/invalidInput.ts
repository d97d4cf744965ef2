// Which errors are the user's input (exit code 2: fix the file, the data, the run folder, the backend
// choice) rather than a failure of training (exit code 1). The CLI and the training worker share it.
import { ConfigError } from '../config/load.js';
import { DataError } from '../data/types.js';
import { BackendUnavailableError } from './backend.js';
import { MemoryLimitError } from './memoryGuard.js';
import { RunStoreError } from './runStore.js';
import { RunLockedError } from './runLock.js';

/** Raised for a bad command line; the CLI prints its message and the usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isInvalidInput(err: unknown): boolean {
  return (
    err instanceof ConfigError ||
    err instanceof DataError ||
    err instanceof UsageError ||
    err instanceof BackendUnavailableError ||
    err instanceof RunStoreError ||
    err instanceof RunLockedError ||
    err instanceof MemoryLimitError
  );
}

/** The worker's exit code for an invalid-input failure, which the experiment runner passes on. */
export const WORKER_INVALID_EXIT = 2;
