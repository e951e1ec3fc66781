// The command line of this project's commands: `--name value` options and `--name` flags.
export function commandLine(argv = process.argv.slice(2)) {
  return {
    opt(name, fallback) {
      const k = argv.indexOf(`--${name}`);
      return k >= 0 && argv[k + 1] !== undefined && !argv[k + 1].startsWith('--') ? argv[k + 1] : fallback;
    },
    flag: (name) => argv.includes(`--${name}`),
  };
}
