// Breaking changes between two versions of a GraphQL schema (SDL files), with graphql-js's
// findBreakingChanges: prints each and exits 1 when there is any (dangerous changes, e.g. a new
// enum value, are printed as warnings). Usage: node breaking.mjs previous.graphql current.graphql
import { readFileSync } from 'node:fs';
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';

const [previousPath, currentPath] = process.argv.slice(2);
const previous = buildSchema(readFileSync(previousPath, 'utf8'));
const current = buildSchema(readFileSync(currentPath, 'utf8'));
for (const change of findDangerousChanges(previous, current)) {
  console.log(`warning: ${change.type}: ${change.description}`);
}
const breaking = findBreakingChanges(previous, current);
for (const change of breaking) {
  console.log(`BREAKING: ${change.type}: ${change.description}`);
}
console.log(`${breaking.length} breaking change(s) in ${currentPath}`);
process.exit(breaking.length ? 1 : 0);
