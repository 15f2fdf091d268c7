// One kind of error the command reports as one line and exit status 2: bad
// input (a config it cannot read or emulate, a log line of another format).
export class InputError extends Error {
  /** file and line: where the input is wrong (line may be undefined). */
  constructor(file, line, message) {
    super(`${file}${line ? `:${line}` : ''}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

export class UsageError extends Error {}
