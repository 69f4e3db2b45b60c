'use strict'
// node-postgres (pg, pinned in package-lock.json): parameterized queries with
// untyped (OID 0) text parameters, a named statement reused, text results
// through pg's type parsers and binary results (binary: true).
//
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (or
// --host= --port= --user= --password= --dbname=); expected values from the
// JSON file PQSQL_EXPECT (a missing key is SQL NULL). Prints only "ok".
//
// pg decodes every DataRow field as UTF-8 text, also binary ones, and hands
// parsers Buffer.from(thatString): binary bytes that are not valid UTF-8 reach
// the parsers mangled (real PostgreSQL gives the same). The binary checks
// therefore compare the exact PostgreSQL binary encoding of each expected
// value after that same transformation, and pg's own binary parsers only
// where the encoding is plain ASCII.

const fs = require('fs')
const { Client, types } = require('pg')

function fail(msg) {
  throw new Error(msg)
}

function eq(got, want, what) {
  const g = JSON.stringify(got)
  const w = JSON.stringify(want)
  if (g !== w || typeof got !== typeof want) fail(`${what}: got ${g} (${typeof got}), want ${w} (${typeof want})`)
}

function connConfig() {
  const c = {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'analyst',
    password: process.env.PGPASSWORD || '',
    database: process.env.PGDATABASE || 'pqsql',
    connectionTimeoutMillis: 10000,
    statement_timeout: 30000,
  }
  for (const a of process.argv.slice(2)) {
    const m = /^--(host|port|user|password|dbname)=(.*)$/.exec(a)
    if (!m) fail(`unknown argument ${a}`)
    c[m[1] === 'dbname' ? 'database' : m[1]] = m[1] === 'port' ? Number(m[2]) : m[2]
  }
  return c
}

const exp = JSON.parse(fs.readFileSync(process.env.PQSQL_EXPECT || fail('PQSQL_EXPECT is not set'), 'utf8'))

const ALLTYPES = [
  ['id', 23], ['c_int2', 21], ['c_int4', 23], ['c_int8', 20], ['c_float4', 700], ['c_float8', 701],
  ['c_bool', 16], ['c_text', 25], ['c_numeric', 1700], ['c_date', 1082], ['c_timestamptz', 1184],
  ['c_timestamp', 1114], ['c_bytea', 17], ['c_uuid', 2950],
]

const PG_EPOCH_US = 946684800000000n // 2000-01-01 in microseconds since 1970

function float32(s) {
  return Math.fround(Number(s))
}

function sameFloat(got, want) {
  return Number.isNaN(want) ? Number.isNaN(got) : Object.is(got, want)
}

// checkText checks a value as pg's default text parsers return it.
function checkText(col, got, key, what) {
  if (!(key in exp)) {
    if (got !== null) fail(`${what}: got ${JSON.stringify(got)}, want NULL`)
    return
  }
  const want = exp[key]
  if (got === null) fail(`${what}: got NULL, want ${want}`)
  switch (col) {
    case 'id': case 'c_int2': case 'c_int4': case 'years_experience':
      eq(got, Number(want), what); break
    case 'c_int8': case 'c_numeric': case 'salary': case 'c_text': case 'c_uuid': case 'candidate_id':
    case 'first_name': case 'last_name': case 'email': case 'city': case 'notes':
      eq(got, want, what); break
    case 'c_float4':
      if (typeof got !== 'number' || !sameFloat(Math.fround(got), float32(want))) fail(`${what}: got ${got}, want ${want}`)
      break
    case 'c_float8': case 'score':
      if (typeof got !== 'number' || !sameFloat(got, Number(want))) fail(`${what}: got ${got}, want ${want}`)
      break
    case 'c_bool':
      eq(got, want === 'true', what); break
    case 'c_date': {
      // pg parses a date as local midnight; the test runs with TZ=UTC.
      if (!(got instanceof Date)) fail(`${what}: got ${got}, want a Date`)
      const [y, m, d] = want.split('-').map(Number)
      const w = new Date(0)
      w.setUTCFullYear(y, m - 1, d)
      w.setUTCHours(0, 0, 0, 0)
      eq(got.getTime(), w.getTime(), `${what} (${want}, ms since epoch)`)
      break
    }
    case 'c_timestamptz': case 'c_timestamp': case 'created_at': {
      if (!(got instanceof Date)) fail(`${what}: got ${got}, want a Date`)
      const us = BigInt(want)
      let ms = us / 1000n
      if (us < 0n && us % 1000n !== 0n) ms -= 1n // floor: a Date keeps milliseconds
      eq(got.getTime(), Number(ms), `${what} (ms since epoch)`)
      break
    }
    case 'c_bytea':
      if (!Buffer.isBuffer(got)) fail(`${what}: got ${got}, want a Buffer`)
      eq(got.toString('hex'), want, what); break
    default:
      fail(`no check for column ${col}`)
  }
}

// binaryEncoding returns PostgreSQL's binary send format of an expected value.
function binaryEncoding(col, want) {
  let b
  switch (col) {
    case 'id': case 'c_int4': b = Buffer.alloc(4); b.writeInt32BE(Number(want)); return b
    case 'c_int2': b = Buffer.alloc(2); b.writeInt16BE(Number(want)); return b
    case 'c_int8': b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(want)); return b
    case 'c_float4': b = Buffer.alloc(4); b.writeFloatBE(float32(want)); return b
    case 'c_float8': b = Buffer.alloc(8); b.writeDoubleBE(Number(want)); return b
    case 'c_bool': return Buffer.from([want === 'true' ? 1 : 0])
    case 'c_text': return Buffer.from(want, 'utf8')
    case 'c_bytea': return Buffer.from(want, 'hex')
    case 'c_uuid': return Buffer.from(want.replace(/-/g, ''), 'hex')
    case 'c_date': {
      const [y, m, d] = want.split('-').map(Number)
      const t = new Date(0)
      t.setUTCFullYear(y, m - 1, d)
      b = Buffer.alloc(4); b.writeInt32BE(Math.round((t.getTime() - 946684800000) / 86400000)); return b
    }
    case 'c_timestamptz': case 'c_timestamp':
      b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(want) - PG_EPOCH_US); return b
    case 'c_numeric': return numericEncoding(want)
  }
  fail(`no binary encoding for ${col}`)
}

// numericEncoding is numeric_send of a decimal string such as "-12.34".
function numericEncoding(s) {
  const neg = s.startsWith('-')
  if (neg) s = s.slice(1)
  const [ip, fp = ''] = s.split('.')
  const dscale = fp.length
  // base-10000 digits aligned on the decimal point
  const intPart = ip.replace(/^0+/, '')
  const ipad = intPart.padStart(Math.ceil(intPart.length / 4) * 4, '0')
  const fpad = fp.padEnd(Math.ceil(fp.length / 4) * 4, '0')
  let digits = []
  for (let i = 0; i < ipad.length; i += 4) digits.push(Number(ipad.slice(i, i + 4)))
  let weight = digits.length - 1
  for (let i = 0; i < fpad.length; i += 4) digits.push(Number(fpad.slice(i, i + 4)))
  while (digits.length && digits[0] === 0) { digits.shift(); weight-- }
  while (digits.length && digits[digits.length - 1] === 0) digits.pop()
  if (!digits.length) weight = 0
  const b = Buffer.alloc(8 + 2 * digits.length)
  b.writeInt16BE(digits.length, 0)
  b.writeInt16BE(weight, 2)
  b.writeUInt16BE(neg && digits.length ? 0x4000 : 0, 4)
  b.writeInt16BE(dscale, 6)
  digits.forEach((d, i) => b.writeInt16BE(d, 8 + 2 * i))
  return b
}

// isQuietNaN reports whether got is what pg makes of some quiet NaN of the
// column's float type: clients read any NaN payload as NaN, and PostgreSQL's
// own (0x7ff8000000000000) is not the only one a server may send.
function isQuietNaN(got, col) {
  const prefix = asPgSeesIt(Buffer.from(col === 'c_float4' ? [0x7f, 0xc0] : [0x7f, 0xf8]))
  return got.subarray(0, prefix.length).equals(prefix) && got.length >= prefix.length
}

// asPgSeesIt is what pg hands a binary parser for the given wire bytes.
function asPgSeesIt(wire) {
  return Buffer.from(wire.toString('utf8'))
}

async function main() {
  const cfg = connConfig()
  const client = new Client(cfg)
  await client.connect()
  try {
    const ids = exp['cand.ids'].split(',').map(Number)
    const candCols = ['candidate_id', 'first_name', 'last_name', 'email', 'city', 'years_experience', 'salary', 'created_at', 'score', 'notes']
    const candSQL = `SELECT ${candCols.join(', ')} FROM candidates WHERE candidate_id = $1 AND years_experience >= $2`
    // Unnamed statements, then one named statement reused for every id.
    for (const name of [undefined, 'cand_by_id']) {
      for (const i of ids) {
        const res = await client.query({ name, text: candSQL, values: [exp[`cand.${i}.candidate_id`], 0] })
        eq(res.rows.length, 1, `rows for candidate ${i}`)
        for (const c of candCols) checkText(c, res.rows[0][c], `cand.${i}.${c}`, `candidate ${i} ${c} (statement ${name})`)
      }
    }

    // A quote in a parameter; an untyped parameter compared with int4.
    const ob = await client.query('SELECT count(*) AS n, min(candidate_id) AS first FROM candidates WHERE last_name = $1', ["O'Brien"])
    eq(ob.rows, [{ n: exp['obrien.count'], first: exp['obrien.first'] }], "O'Brien")

    const cols = ALLTYPES.map(c => c[0])
    const sql = `SELECT ${cols.join(', ')} FROM alltypes WHERE id > $1 ORDER BY id`

    // Text results through pg's default parsers.
    const text = await client.query(sql, [0])
    eq(text.rows.length, Number(exp['alltypes.count']), 'alltypes rows')
    eq(text.fields.map(f => [f.name, f.dataTypeID, f.format]), ALLTYPES.map(([n, oid]) => [n, oid, 'text']), 'text fields')
    for (const row of text.rows) {
      for (const c of cols) checkText(c, row[c], `alltypes.${row.id}.${c}`, `text alltypes id=${row.id} ${c}`)
    }

    // Binary results: the wire bytes (as pg passes them on) of every value,
    // then pg's own binary parsers for id, bool and text.
    const raw = await client.query({
      text: sql, values: [0], binary: true,
      types: { getTypeParser: () => v => v },
    })
    eq(raw.fields.map(f => [f.name, f.dataTypeID, f.format]), ALLTYPES.map(([n, oid]) => [n, oid, 'binary']), 'binary fields')
    eq(raw.rows.length, Number(exp['alltypes.count']), 'binary alltypes rows')
    raw.rows.forEach((row, k) => {
      const id = k + 1
      for (const c of cols) {
        const key = `alltypes.${id}.${c}`
        const what = `binary alltypes row ${id} ${c}`
        if (!(key in exp)) {
          if (row[c] !== null) fail(`${what}: got ${row[c]}, want NULL`)
          continue
        }
        if (!Buffer.isBuffer(row[c])) fail(`${what}: got ${row[c]}, want a Buffer`)
        const want = asPgSeesIt(binaryEncoding(c, exp[key]))
        if (exp[key] === 'NaN' && isQuietNaN(row[c], c)) continue
        if (!row[c].equals(want)) fail(`${what}: got bytes ${row[c].toString('hex')}, want ${want.toString('hex')} (${exp[key]})`)
      }
    })
    const bin = await client.query({ text: 'SELECT id, c_bool, c_text FROM alltypes WHERE id > $1 ORDER BY id', values: [0], binary: true })
    eq(bin.fields.map(f => f.format), ['binary', 'binary', 'binary'], 'binary formats')
    for (const row of bin.rows) {
      eq(row.id, Number(exp[`alltypes.${row.id}.id`]), `binary id ${row.id}`)
      eq(row.c_bool, `alltypes.${row.id}.c_bool` in exp ? exp[`alltypes.${row.id}.c_bool`] === 'true' : null, `binary bool ${row.id}`)
      eq(row.c_text, `alltypes.${row.id}.c_text` in exp ? exp[`alltypes.${row.id}.c_text`] : null, `binary text ${row.id}`)
    }

    // Per-query text type parser override.
    const over = await client.query({
      text: 'SELECT c_int8, c_numeric FROM alltypes WHERE id = $1', values: [4],
      types: { getTypeParser: (oid, fmt) => (oid === 20 ? v => BigInt(v) : types.getTypeParser(oid, fmt)) },
    })
    if (over.rows[0].c_int8 !== BigInt(exp['alltypes.4.c_int8'])) fail(`int8 parser override: got ${over.rows[0].c_int8}`)
    eq(over.rows[0].c_numeric, exp['alltypes.4.c_numeric'], 'numeric with overridden parsers')

    // An error, then the connection still works.
    try {
      await client.query('SELECT * FROM nosuchtable WHERE x = $1', [1])
      fail('query on a missing table succeeded')
    } catch (e) {
      if (e.code !== '42P01') throw e
    }
    eq((await client.query('SELECT count(*)::int4 AS n FROM alltypes')).rows, [{ n: Number(exp['alltypes.count']) }], 'count after error')
  } finally {
    await client.end()
  }
}

main().then(() => console.log('ok'), e => {
  console.error(e && e.stack ? e.stack : e)
  process.exit(1)
})
