// A jest reporter: after the run, the tests skipped for want of something (test/helpers/skip.ts puts the
// reason in their names) listed by reason, so a run without GDAL or a Vulkan device says what it did not
// check and how to get it checked — not only "N skipped".
import { relative } from 'node:path';

const MARK = /\s\[skipped: (.*)\]$/;

export default class SkipsReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const byReason = new Map();
    for (const file of results.testResults) {
      for (const t of file.testResults) {
        const m = MARK.exec(t.title);
        if (!m || (t.status !== 'pending' && t.status !== 'skipped')) continue;
        const list = byReason.get(m[1]) ?? [];
        list.push(`${relative(this.root, file.testFilePath)} › ${t.fullName.replace(MARK, '')}`);
        byReason.set(m[1], list);
      }
    }
    if (byReason.size === 0) return;
    const lines = ['', 'Skipped tests, and why:'];
    for (const [reason, tests] of byReason) {
      lines.push(`  ${tests.length} test${tests.length > 1 ? 's' : ''}: ${reason}`);
      for (const t of tests.slice(0, 8)) lines.push(`    - ${t}`);
      if (tests.length > 8) lines.push(`    … and ${tests.length - 8} more`);
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}
