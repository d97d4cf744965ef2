import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globProblem, globToRegExp, parseQuery, QueryError } from '../../src/notebook/query.js';

function problemsOf(text: string): QueryError['problems'] {
  try {
    parseQuery(text);
  } catch (err) {
    assert.ok(err instanceof QueryError, `expected a QueryError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail(`"${text}" parsed without an error`);
}

test('a full query parses, with lists, defaults and the line of each key', () => {
  const parsed = parseQuery('# comment\nruns: c16-aem/*\ngroup: [aem.lambda, aem.schedule]\nmetrics: [test.auroc, test.f1]\nat: best\nshow: table\nbaseline: {aem.lambda: 0}\n');
  assert.deepEqual(parsed.query.runs, ['c16-aem/*']);
  assert.deepEqual(parsed.query.group, ['aem.lambda', 'aem.schedule']);
  assert.deepEqual(parsed.query.metrics, ['test.auroc', 'test.f1']);
  assert.equal(parsed.query.at, 'best');
  assert.equal(parsed.query.show, 'table');
  assert.deepEqual(parsed.query.baseline, { 'aem.lambda': 0 });
  assert.equal(parsed.query.include, 'live', 'finished runs and runs training now');
  assert.equal(parsed.query.live, false);
  assert.equal(parsed.lineOf('runs'), 2);
  assert.equal(parsed.lineOf('baseline'), 7);
});

test('defaults: show table, at best, split test; a single string is a one-item list; an epoch number is kept', () => {
  const q = parseQuery('runs: a/*\ngroup: aem.lambda\nat: 3\n').query;
  assert.equal(q.show, 'table');
  assert.deepEqual(q.group, ['aem.lambda']);
  assert.equal(q.at, 3);
  assert.equal(q.split, 'test');
});

test('an unknown key is reported at its line with the keys that exist', () => {
  const problems = problemsOf('runs: a/*\ngruop: [aem.lambda]\n');
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.line, 2);
  assert.match(problems[0]?.message ?? '', /unknown key "gruop" \(known keys: runs, show, group, metrics, at,/);
});

test('bad values say what is allowed, at their line', () => {
  const show = problemsOf('runs: a/*\nshow: histogram\n');
  assert.equal(show[0]?.line, 2);
  assert.match(show[0]?.message ?? '', /show: one of table, curves, scatter, topk, sensitivity/);
  const at = problemsOf('runs: a/*\nat: 0\n');
  assert.equal(at[0]?.line, 2);
  assert.match(at[0]?.message ?? '', /best, last or an epoch number/);
});

test('missing runs, an empty cell, a non-mapping and broken YAML are errors', () => {
  assert.match(problemsOf('show: table\n')[0]?.message ?? '', /runs: missing/);
  assert.match(problemsOf('')[0]?.message ?? '', /empty query/);
  assert.match(problemsOf('- a\n- b\n')[0]?.message ?? '', /YAML mapping/);
  const yaml = problemsOf('runs: [a/*\nshow: table\n');
  assert.match(yaml[0]?.message ?? '', /^YAML: /);
  assert.ok(yaml[0]?.line !== undefined, 'a YAML syntax error has a line');
  const duplicate = problemsOf('runs: a/*\nruns: b/*\n');
  assert.match(duplicate[0]?.message ?? '', /YAML: .*unique/i);
});

test('globs: * and ? stay within a name, ** crosses "/", a bare name means all its runs', () => {
  const re = (p: string) => globToRegExp(p);
  assert.ok(re('c16-aem/*').test('c16-aem/lambda0-s0-20260101-000000'));
  assert.ok(!re('c16-aem/*').test('c16-aem2/lambda0-s0'));
  assert.ok(re('c16-*/lambda0.?-s*').test('c16-cos/lambda0.1-s3-x'));
  assert.ok(!re('c16-*/lambda0.?-s*').test('c16-cos/lambda0.15-s3-x'));
  assert.ok(re('c16-aem').test('c16-aem/anything'));
  assert.ok(!re('c16').test('c16-aem/anything'));
  assert.ok(re('**').test('a/b'));
  assert.ok(re('c16.aem/*').test('c16.aem/x') && !re('c16.aem/*').test('c16xaem/x'), '"." is literal');
});

test('bad globs are reported, not matched literally', () => {
  assert.match(globProblem('') ?? '', /empty/);
  assert.match(globProblem('/abs/path') ?? '', /starts with "\/"/);
  assert.match(globProblem('a/[ab]') ?? '', /does not support|do not support/);
  assert.match(globProblem('a/{x,y}') ?? '', /do not support/);
  assert.match(globProblem('a/b/c') ?? '', /more than one "\/"/);
  assert.match(globProblem('a/***') ?? '', /\*\*\*/);
  assert.equal(globProblem('a/**'), undefined);
  assert.throws(() => globToRegExp('a/[b]'), /do not support/);
});
