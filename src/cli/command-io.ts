/** Where a command's lines and exit code go: the process, or a test. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  exit(code: number): void;
}

export const processIo: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  exit: (code) => {
    process.exitCode = code;
  },
};
