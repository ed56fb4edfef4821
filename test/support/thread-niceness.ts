import { readdirSync, readFileSync } from 'node:fs';

/**
 * The niceness of each thread of process `pid` (this one by default), from
 * /proc/<pid>/task/<tid>/stat's 19th field (counted after the command name, which is in
 * parentheses and may hold spaces).
 */
export function threadNiceness(pid: number | 'self' = 'self'): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}
