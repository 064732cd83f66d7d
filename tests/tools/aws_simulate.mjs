#!/usr/bin/env node
// Decide AWS IAM identity-policy requests at given instants with
// @cloud-copilot/iam-simulate: a second evaluator, independent of our compiler.
// Install it first with tools/setup-node.sh; this runs offline after that.
//
// stdin:  {"cases": [{"policy": {...}, "principal": "arn:aws:iam::123456789012:role/x",
//          "action": "s3:GetObject", "resource": "arn:aws:s3:::bucket/x",
//          "context": {"aws:SourceIp": "10.0.0.1", ...}, "instants": ["2027-03-08T14:00:00Z", ...]}]}
// stdout: {"results": [{"decisions": [true, false, ...]} | {"error": "why"}]}
//
// A case with "kind": "trust" reads its policy as the resource's policy (an
// IAM role's trust policy), with "identity_policy" (optional) as the
// caller's: the request is the principal calling the action on the role.
// Across accounts AWS needs both to allow it.
//
// One decision per instant: true iff the request (identity policy only, same
// account, aws:CurrentTime = the instant, plus the context keys) is Allowed.
// A case the simulator cannot answer (invalid policy, unknown action, resource
// that fits no resource type of the action, a condition it cannot evaluate)
// gives {"error"}. Exit 0 when every case got a result; 2 on bad input.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Dates written without a UTC offset are then read as UTC on every host.
process.env.TZ = 'UTC';

function fail(message) {
  process.stderr.write(`aws_simulate: ${message}\n`);
  process.exit(2);
}

// Resolve the package from tools/node/node_modules, not from the caller's cwd.
const requireTool = createRequire(new URL('../../tools/node/package.json', import.meta.url));
let runSimulation;
try {
  ({ runSimulation } = requireTool('@cloud-copilot/iam-simulate'));
} catch (err) {
  fail(`cannot load @cloud-copilot/iam-simulate (run tools/setup-node.sh): ${err.message}`);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const ACCOUNT_ARN = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):./;
const CURRENT_TIME = 'aws:currenttime';
// Set by JIT_AWS_SIMULATE_EVERY_INSTANT=1 to check the per-class shortcut below.
const EVERY_INSTANT = process.env.JIT_AWS_SIMULATE_EVERY_INSTANT === '1';

// An RFC 3339 timestamp that Date.parse, the simulator's date parser, reads.
const isInstant = (t) => typeof t === 'string' && RFC3339.test(t) && !Number.isNaN(Date.parse(t));

// Check one case's request fields; return them with the context values as
// IAM strings (no simulator condition matches a boolean or a number).
function readCase(c, i) {
  const where = `cases[${i}]`;
  if (c === null || typeof c !== 'object') fail(`${where} is not an object`);
  const { policy, principal, action, resource, context = {}, instants, kind = 'identity' } = c;
  const callerPolicy = c.identity_policy ?? null;
  if (!['identity', 'trust'].includes(kind)) fail(`${where}.kind is not "identity" or "trust"`);
  const account = typeof principal === 'string' && ACCOUNT_ARN.exec(principal)?.[1];
  if (!account) fail(`${where}.principal is not an ARN with a 12-digit account`);
  if (typeof action !== 'string') fail(`${where}.action is not a string`);
  if (typeof resource !== 'string') fail(`${where}.resource is not a string`);
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    fail(`${where}.context is not an object`);
  }
  const asString = (v) => (['string', 'boolean', 'number'].includes(typeof v) ? String(v) : null);
  const contextVariables = {};
  for (const [key, value] of Object.entries(context)) {
    if (key.toLowerCase() === CURRENT_TIME) fail(`${where}.context sets ${key}: use instants`);
    const strings = [value].flat().map(asString);
    if (strings.includes(null)) fail(`${where}.context[${JSON.stringify(key)}] is not a string`);
    contextVariables[key] = Array.isArray(value) ? strings : strings[0];
  }
  if (!Array.isArray(instants) || !instants.every(isInstant)) {
    fail(`${where}.instants is not a list of RFC 3339 timestamps`);
  }
  // A trust policy belongs to the role (the resource): its account.
  const owner = kind === 'trust' ? ACCOUNT_ARN.exec(resource)?.[1] : account;
  if (!owner) fail(`${where}.resource is not an ARN with a 12-digit account`);
  return { policy, principal, action, resource, account: owner, contextVariables, instants, kind, callerPolicy };
}

// The simulator's reading of a date in a condition: an integer is taken as
// the number itself, anything else goes through Date.parse (milliseconds).
function parseConditionDate(text) {
  const n = parseInt(text, 10);
  if (!Number.isNaN(n) && String(n) === text) return n;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

// The request varies only in aws:CurrentTime. When the policy tests that key
// with Date operators alone, every instant that sorts the same way against the
// policy's dates (before / equal / after each) gets the same decision, so one
// simulation per such class answers them all. Returns the sorted dates, or
// null when the shortcut does not apply (another operator on the key, a date
// that is not a string, or the key used as a ${policy variable}).
function timeBreakpoints(policy) {
  if (EVERY_INSTANT || JSON.stringify(policy).toLowerCase().includes('${aws:currenttime')) {
    return null;
  }
  const dates = new Set();
  for (const statement of [policy.Statement].flat()) {
    for (const [operator, block] of Object.entries(statement?.Condition ?? {})) {
      for (const [key, values] of Object.entries(block)) {
        if (key.toLowerCase() !== CURRENT_TIME) continue;
        const base = operator.split(':').pop().replace(/IfExists$/i, '');
        if (!/^date/i.test(base)) return null;
        for (const value of [values].flat()) {
          if (typeof value !== 'string') return null;
          const ms = parseConditionDate(value);
          if (ms !== undefined) dates.add(ms);
        }
      }
    }
  }
  return Float64Array.from(dates).sort();
}

// Class of an instant against the sorted dates: 2k for "between date k-1 and
// date k", 2k+1 for "equal to date k".
function timeClass(dates, instant) {
  const ms = Date.parse(instant);
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (dates[mid] < ms) lo = mid + 1;
    else hi = mid;
  }
  return 2 * lo + (dates[lo] === ms ? 1 : 0);
}

// Why the simulator refused the request, in one line.
function describeErrors(errors) {
  const details = [];
  for (const [field, value] of Object.entries(errors)) {
    if (field === 'message') continue;
    const perPolicy = Array.isArray(value) ? { '': value } : value;
    for (const list of Object.values(perPolicy)) {
      for (const e of list) details.push(typeof e === 'string' ? e : `${e.path}: ${e.message}`);
    }
  }
  return [errors.message, ...details].join('; ');
}

// Conditions the simulator could not evaluate (an operator it does not know, a
// value it cannot parse): it counts them as not matching, where AWS would
// reject the policy, so they make the case an error.
function evaluationProblems(response) {
  const problems = new Set();
  const results = response.resultType === 'single' ? [response.result] : response.results;
  for (const { analysis } of results) {
    const statements = [analysis.identityAnalysis, analysis.resourceAnalysis]
      .filter(Boolean)
      .flatMap((a) => [...(a.allowStatements ?? []), ...(a.denyStatements ?? []), ...(a.unmatchedStatements ?? [])]);
    for (const { explain } of statements) {
      for (const condition of explain.conditions ?? []) {
        const what = `${condition.operator} ${condition.conditionKeyValue}`;
        if (condition.missingOperator) problems.add(`${what}: unknown condition operator`);
        for (const value of [condition.values].flat()) {
          for (const e of value?.errors ?? []) problems.add(`${what}: ${e}`);
        }
      }
    }
  }
  return [...problems];
}

class CaseError extends Error {}

async function decideCase({ policy, principal, action, resource, account, contextVariables, instants, kind, callerPolicy }) {
  // runSimulation validates and parses the policy on every call; that is
  // little next to evaluating it (passing it pre-validated saved nothing).
  const caller = callerPolicy ? [{ name: 'caller', policy: callerPolicy }] : [];
  const identityPolicies = kind === 'trust' ? caller : [{ name: 'policy', policy }];
  const resourcePolicy = kind === 'trust' ? { resourcePolicy: policy } : {};
  const simulate = async (instant) => {
    const response = await runSimulation(
      {
        request: {
          principal,
          action,
          resource: { resource, accountId: account },
          contextVariables: { ...contextVariables, 'aws:CurrentTime': instant },
        },
        identityPolicies,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...resourcePolicy,
      },
      { simulationMode: 'Strict' },
    );
    if (response.resultType === 'error') throw new CaseError(describeErrors(response.errors));
    const problems = evaluationProblems(response);
    if (problems.length > 0) throw new CaseError(problems.join('; '));
    return response.overallResult === 'Allowed';
  };

  // The first simulation validates the policy and the request, even with no instants.
  const first = await simulate(instants[0] ?? '1970-01-01T00:00:00Z');
  // Both policies' dates, when the caller's is given too.
  const both = callerPolicy ? { Statement: [policy.Statement, callerPolicy.Statement].flat() } : policy;
  const dates = timeBreakpoints(both);
  const keyOf = (instant) => (dates ? timeClass(dates, instant) : instant);
  const memo = new Map();
  if (instants.length > 0) memo.set(keyOf(instants[0]), first);
  const decisions = [];
  for (const instant of instants) {
    const key = keyOf(instant);
    if (!memo.has(key)) memo.set(key, await simulate(instant));
    decisions.push(memo.get(key));
  }
  return { decisions };
}

let input;
try {
  input = JSON.parse(readFileSync(0, 'utf8'));
} catch (err) {
  fail(`stdin is not JSON: ${err.message}`);
}
if (!Array.isArray(input?.cases)) fail('stdin has no "cases" list');
const cases = input.cases.map(readCase);

const results = [];
for (const c of cases) {
  try {
    results.push(await decideCase(c));
  } catch (err) {
    // A CaseError is the simulator's verdict; anything else is it failing on this case.
    const prefix = err instanceof CaseError ? '' : 'simulator failed: ';
    results.push({ error: `${prefix}${err.message}` });
  }
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
