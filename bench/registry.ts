import type { BenchCase } from './case.js';
import { dbLoad } from './cases/db-load.js';
import { farDatabase } from './cases/far-database.js';
import { http } from './cases/http.js';
import { inProcess } from './cases/in-process.js';
import { leafRoute } from './cases/leaf-route.js';
import { nodes } from './cases/nodes.js';
import { perId } from './cases/per-id.js';
import { reservation } from './cases/reservation.js';
import { tags } from './cases/tags.js';

/** Every case, in the order a run takes them (and prints, judges and writes them). */
export const CASES: readonly BenchCase[] = [
  inProcess,
  perId,
  reservation,
  farDatabase,
  dbLoad,
  http,
  leafRoute,
  tags,
  nodes,
];

export const CASE_NAMES: readonly string[] = CASES.map((c) => c.name);
