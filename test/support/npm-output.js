// What npm prints that the project answers for.

/**
 * npm's stderr without EBADENGINE notices about third-party packages (a dependency asking for a
 * newer Node than the one running), which no file of this project causes; they are printed so
 * that they stay visible.
 */
export function ownWarnings(stderr) {
  const lines = stderr.split('\n');
  const engine = lines.filter((l) => /^npm warn EBADENGINE/.test(l));
  if (engine.length) console.log(`note: npm warns about a dependency's engines:\n${engine.join('\n')}`);
  return lines.filter((l) => l !== '' && !/^npm warn EBADENGINE/.test(l)).join('\n');
}
