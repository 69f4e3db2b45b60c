-- Corpus of TestDifferential: one statement per line, run in file order on
-- pqsql and on PostgreSQL 15 loaded with the same rows. Lines starting with
-- "--" and blank lines are ignored; a trailing ";" is optional. A statement
-- whose top-level ORDER BY is total is compared row by row in order, any
-- other as a multiset: never write a top-level ORDER BY that leaves ties.
-- Session settings (SET) carry over to the following statements.

-- basic filters: candidates
SELECT count(*) FROM candidates
SELECT candidate_id, first_name, last_name, email, phone, city, state, years_experience, salary, status, source, created_at, score, linkedin_url, notes FROM candidates WHERE candidate_id = 'CAND-000042'
SELECT * FROM candidates WHERE candidate_id IN ('CAND-000001', 'CAND-099999', 'CAND-100000', 'CAND-999999')
SELECT * FROM candidates WHERE candidate_id = 'CAND-000042' LIMIT 1
SELECT candidate_id, city FROM candidates WHERE candidate_id = 'CAND-000043' ORDER BY city DESC LIMIT 21
SELECT candidate_id, city FROM candidates WHERE candidate_id IN ('CAND-000003', 'CAND-000001', 'CAND-000002') ORDER BY candidate_id DESC
SELECT candidate_id FROM candidates WHERE candidate_id IN ('CAND-000003', 'CAND-000001') ORDER BY 1 LIMIT 1
SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000005' FETCH FIRST 1 ROWS ONLY
SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000005' LIMIT 0
SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000005' LIMIT ALL
SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000005' LIMIT NULL
SELECT candidate_id FROM candidates WHERE candidate_id = 'CAND-000005' LIMIT -1
SELECT "public"."candidates"."candidate_id" AS "candidate_id", "public"."candidates"."city" AS "city" FROM "public"."candidates" WHERE "public"."candidates"."candidate_id" = 'CAND-000077' LIMIT 1048575
SELECT count(*) FROM candidates WHERE candidate_id > 'CAND-099990'
SELECT count(*) FROM candidates WHERE years_experience = 10
SELECT count(*) FROM candidates WHERE years_experience < 3
SELECT count(*) FROM candidates WHERE years_experience <> 17 AND years_experience >= 30
SELECT count(*) FROM candidates WHERE salary BETWEEN 80000 AND 90000
SELECT count(*) FROM candidates WHERE salary NOT BETWEEN 60000 AND 190000
SELECT count(*) FROM candidates WHERE salary > 150000.50
SELECT count(*) FROM candidates WHERE salary = 100000.00
SELECT count(*) FROM candidates WHERE score >= 99.5
SELECT count(*) FROM candidates WHERE score < 0.5 OR score > 99.9
SELECT count(*) FROM candidates WHERE state IN ('CO', 'TX', 'WA')
SELECT count(*) FROM candidates WHERE state NOT IN ('CO', 'TX')
SELECT count(*) FROM candidates WHERE last_name LIKE 'Mart%'
SELECT count(*) FROM candidates WHERE email LIKE '%@example.org'
SELECT count(*) FROM candidates WHERE first_name ILIKE 'jo%'
SELECT count(*) FROM candidates WHERE last_name NOT LIKE '%e%'
SELECT count(*) FROM candidates WHERE last_name = 'O''Brien'
SELECT count(*) FROM candidates WHERE first_name LIKE 'Jos_'
SELECT count(*) FROM candidates WHERE notes LIKE '%\_%'
SELECT count(*) FROM candidates WHERE city ILIKE '%SAN%'
SELECT count(*) FROM candidates WHERE phone IS NULL
SELECT count(*) FROM candidates WHERE salary IS NULL
SELECT count(*) FROM candidates WHERE notes IS NOT NULL
SELECT count(*) FROM candidates WHERE notes = ''
SELECT count(*) FROM candidates WHERE score IS DISTINCT FROM 50
SELECT count(*) FROM candidates WHERE notes IS NOT DISTINCT FROM NULL
SELECT count(*) FROM candidates WHERE created_at < '2022-01-01 00:00:00+00'
SELECT count(*) FROM candidates WHERE created_at BETWEEN '2023-03-01' AND '2023-03-31'
SELECT count(*) FROM candidates WHERE created_at >= timestamptz '2024-06-01 12:00:00+02'
SELECT count(*) FROM candidates WHERE status = 'hired' AND source = 'github' AND state = 'CA'

-- filters on every type of alltypes
SELECT * FROM alltypes WHERE id IN (1, 2, 5, 8, 11, 12, 99)
SELECT c_json, c_uuid, c_bytea, c_float4, c_float8, c_numeric FROM alltypes WHERE id = 8
SELECT id FROM alltypes WHERE c_int2 = 100 ORDER BY id
SELECT id FROM alltypes WHERE c_int2 < 0 ORDER BY id
SELECT id FROM alltypes WHERE c_int2 IN (100, -407, 32767) ORDER BY id
SELECT id FROM alltypes WHERE c_int4 BETWEEN -10 AND 20000000 ORDER BY id
SELECT id FROM alltypes WHERE c_int4 IS NULL ORDER BY id
SELECT id FROM alltypes WHERE c_int4 IS DISTINCT FROM 1000 ORDER BY id
SELECT id FROM alltypes WHERE c_int8 > 10000 ORDER BY id
SELECT id FROM alltypes WHERE c_int8 = -9223372036854775808 ORDER BY id
SELECT id FROM alltypes WHERE c_float4 > 3 ORDER BY id
SELECT id FROM alltypes WHERE c_float4 = 0.1 ORDER BY id
SELECT id, c_float8 = c_float8, c_float8 > 'Infinity', c_float8 < 'NaN', c_float8 >= 1.5, c_float4 < c_float8 FROM alltypes ORDER BY id
SELECT id, c_float8 FROM alltypes WHERE c_float8 IS NOT NULL ORDER BY c_float8 DESC LIMIT 3
SELECT c_bool, min(c_float8), max(c_float8), max(c_float4) FROM alltypes GROUP BY c_bool ORDER BY c_bool
SELECT id FROM alltypes WHERE c_float8 < 0 ORDER BY id
SELECT id FROM alltypes WHERE c_float8 = 'NaN' ORDER BY id
SELECT id FROM alltypes WHERE c_float8 = 'Infinity'::float8 ORDER BY id
SELECT id FROM alltypes WHERE c_float8 = 0 ORDER BY id
SELECT id FROM alltypes WHERE c_bool ORDER BY id
SELECT id FROM alltypes WHERE c_bool IS NOT TRUE ORDER BY id
SELECT id FROM alltypes WHERE c_bool = false ORDER BY id
SELECT id FROM alltypes WHERE c_bool IS UNKNOWN ORDER BY id
SELECT id FROM alltypes WHERE c_text LIKE 'row%' ORDER BY id
SELECT id FROM alltypes WHERE c_text ILIKE '%LINE%' ORDER BY id
SELECT id FROM alltypes WHERE c_text LIKE '%\\%' ORDER BY id
SELECT id FROM alltypes WHERE c_text IN ('hello', 'NULL', '') ORDER BY id
SELECT id FROM alltypes WHERE c_text > 'r' ORDER BY id
SELECT id FROM alltypes WHERE c_text IS NOT DISTINCT FROM 'hello' ORDER BY id
SELECT id FROM alltypes WHERE c_numeric BETWEEN 0 AND 1000 ORDER BY id
SELECT id FROM alltypes WHERE c_numeric = 12.34 ORDER BY id
SELECT id FROM alltypes WHERE c_numeric < -1 ORDER BY id
SELECT id FROM alltypes WHERE c_date < '1970-01-01' ORDER BY id
SELECT id FROM alltypes WHERE c_date BETWEEN '2000-01-01' AND '2030-12-31' ORDER BY id
SELECT id FROM alltypes WHERE c_timestamptz > '2015-01-01T00:00:00Z' ORDER BY id
SELECT id FROM alltypes WHERE c_timestamptz = '2024-02-29 13:34:56.789012+01' ORDER BY id
SELECT id FROM alltypes WHERE c_timestamp < '2005-01-01' ORDER BY id
SELECT id FROM alltypes WHERE c_uuid = '0000000b-0000-0000-0000-00000000000b' ORDER BY id
SELECT id FROM alltypes WHERE c_bytea = '\x010203' ORDER BY id
SELECT id FROM alltypes WHERE c_bytea = '\001\002\003'
SELECT id FROM alltypes WHERE c_bytea IN ('\x01 02 03', '\xff') ORDER BY id
SELECT id FROM alltypes WHERE c_timestamptz BETWEEN '2024-02-29 06:00-06' AND '2024-02-29 13:00+01' ORDER BY id
SELECT id FROM alltypes WHERE c_timestamp = '2024-02-29 12:34:56.789012+05' ORDER BY id
SELECT id FROM alltypes WHERE c_date = '2024-02-29' ORDER BY id
SELECT id FROM alltypes WHERE c_uuid = '{123E4567-E89B-12D3-A456-426614174000}' ORDER BY id
SELECT id FROM alltypes WHERE c_date = '2024-02-30'
SELECT id FROM alltypes WHERE c_timestamptz > 'yesterday-ish'
SELECT id FROM alltypes WHERE c_bytea = '\x0g'
SELECT id FROM alltypes WHERE c_uuid = 'not-a-uuid'
SELECT id FROM alltypes WHERE c_bytea IS NULL ORDER BY id
SELECT id FROM alltypes WHERE c_uuid IN ('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') ORDER BY id
SELECT id FROM alltypes WHERE c_numeric IS DISTINCT FROM 0 AND c_float8 IS NOT DISTINCT FROM NULL ORDER BY id
SELECT id FROM alltypes WHERE c_date IS DISTINCT FROM date '2024-02-29' ORDER BY id
SELECT id FROM alltypes WHERE c_text NOT ILIKE 'ROW%' ORDER BY id

-- ORDER BY, NULLS FIRST/LAST, ordinals, LIMIT/OFFSET
SELECT * FROM alltypes ORDER BY id
SELECT id, c_float8 FROM alltypes ORDER BY c_float8, id
SELECT id, c_float8 FROM alltypes ORDER BY c_float8 DESC, id
SELECT id, c_float4 FROM alltypes ORDER BY c_float4 NULLS FIRST, id
SELECT id, c_int4 FROM alltypes ORDER BY c_int4 NULLS FIRST, id
SELECT id, c_int4 FROM alltypes ORDER BY c_int4 DESC NULLS LAST, id
SELECT id, c_text FROM alltypes ORDER BY c_text, id
SELECT id, c_date FROM alltypes ORDER BY 2 DESC, 1
SELECT id, c_numeric FROM alltypes ORDER BY 2 NULLS FIRST, 1 DESC
SELECT id, c_bool FROM alltypes ORDER BY c_bool, id
SELECT id, c_uuid FROM alltypes ORDER BY c_uuid, id
SELECT id, c_timestamptz FROM alltypes ORDER BY c_timestamptz DESC NULLS FIRST, id
SELECT id, c_timestamp FROM alltypes ORDER BY c_timestamp, id
SELECT id, c_bytea FROM alltypes ORDER BY c_bytea, id
SELECT id, c_int2 FROM alltypes ORDER BY abs(c_int4::int8) DESC NULLS LAST, id LIMIT 5
SELECT candidate_id, salary FROM candidates ORDER BY salary DESC NULLS LAST, candidate_id LIMIT 5
SELECT candidate_id, score FROM candidates ORDER BY score NULLS FIRST, candidate_id LIMIT 5
SELECT candidate_id, created_at FROM candidates ORDER BY created_at, candidate_id LIMIT 3 OFFSET 10
SELECT candidate_id FROM candidates ORDER BY candidate_id DESC LIMIT 5 OFFSET 99990
SELECT candidate_id FROM candidates ORDER BY candidate_id OFFSET 99998
SELECT last_name, first_name, candidate_id FROM candidates ORDER BY last_name, first_name, candidate_id LIMIT 10
SELECT candidate_id FROM candidates ORDER BY candidate_id LIMIT 0
SELECT candidate_id, years_experience FROM candidates ORDER BY years_experience DESC, candidate_id LIMIT 3
SELECT candidate_id, first_name FROM candidates ORDER BY first_name DESC, candidate_id LIMIT 4
SELECT candidate_id FROM candidates ORDER BY candidate_id FETCH FIRST 2 ROWS ONLY

-- GROUP BY, HAVING, aggregates
SELECT status, count(*) FROM candidates GROUP BY status
SELECT state, count(*), min(salary), max(salary), sum(salary) FROM candidates GROUP BY state
SELECT status, avg(years_experience) FROM candidates GROUP BY status
SELECT source, avg(salary) FROM candidates GROUP BY source
SELECT source, round(avg(salary), 2) FROM candidates GROUP BY source
SELECT state, round(avg(score)::numeric, 4) FROM candidates GROUP BY state
SELECT state, min(score), max(score) FROM candidates GROUP BY state
SELECT city, count(*) FROM candidates GROUP BY city HAVING count(*) > 4000
SELECT state, count(*) AS n FROM candidates GROUP BY state HAVING avg(salary) > 126000 ORDER BY n DESC, state
SELECT years_experience, count(*) FROM candidates GROUP BY years_experience ORDER BY years_experience
SELECT status, min(created_at), max(created_at) FROM candidates GROUP BY status
SELECT state, string_agg(DISTINCT city, ', ' ORDER BY city) FROM candidates GROUP BY state
SELECT string_agg(c_text, '|' ORDER BY id) FROM alltypes
SELECT status, string_agg(candidate_id, ',' ORDER BY candidate_id) FROM candidates WHERE candidate_id <= 'CAND-000020' GROUP BY status
SELECT c_bool, count(*), count(c_int4), sum(c_int8), min(c_text), max(c_date) FROM alltypes GROUP BY c_bool
SELECT count(*), count(c_float8), sum(c_int2), sum(c_int4), avg(c_int2), min(c_numeric), max(c_numeric), sum(c_numeric), avg(c_numeric) FROM alltypes WHERE id > 10
SELECT min(c_float8), max(c_float8), min(c_float4), max(c_float4) FROM alltypes
SELECT min(c_timestamptz), max(c_timestamp), min(c_date), max(c_text), min(c_int8) FROM alltypes
SELECT sum(c_float4), sum(c_float8) FROM alltypes WHERE id > 10
SELECT sum(c_int8), avg(c_int8) FROM alltypes WHERE id > 10
SELECT count(DISTINCT state), count(DISTINCT city), count(DISTINCT status) FROM candidates
SELECT count(DISTINCT x) FROM (VALUES (interval '1 day'), (interval '24 hours'), (interval '1 mon'), (interval '30 days'), (NULL)) v(x)
SELECT c_bool, count(DISTINCT interval '1 hour' * (id % 4)) FROM alltypes GROUP BY c_bool ORDER BY c_bool
SELECT state, status, count(*) FROM candidates GROUP BY state, status HAVING count(*) < 500
SELECT count(*) FILTER (WHERE salary > 100000), count(*) FROM candidates
SELECT bool_and(c_bool), bool_or(c_bool) FROM alltypes
SELECT date_trunc('year', created_at) AS y, count(*) FROM candidates GROUP BY 1 ORDER BY 1
SELECT extract(year FROM created_at) AS y, count(*) FROM candidates GROUP BY 1 ORDER BY 1
SELECT sum(salary), avg(salary), sum(years_experience), avg(score)::numeric(10,4) FROM candidates
SELECT count(*), sum(years_experience), max(salary) FROM candidates WHERE false
SELECT sum(c_int4), avg(c_int4), max(c_text) FROM alltypes WHERE id = 2
SELECT state, sum(years_experience), avg(years_experience), sum(DISTINCT years_experience), avg(DISTINCT salary) FROM candidates GROUP BY state HAVING avg(years_experience) > 17 ORDER BY state
SELECT sum(c_int2), avg(c_int8), sum(c_numeric), avg(c_numeric) FROM alltypes WHERE id < 0
SELECT 1::numeric / 1, 10::numeric / 3, 7::numeric / 7000, avg(x) FROM (VALUES (1), (2), (4)) v(x)
SELECT state, max(length(city)) FROM candidates GROUP BY state

-- DISTINCT
SELECT DISTINCT state FROM candidates
SELECT DISTINCT state, city FROM candidates ORDER BY state, city
SELECT DISTINCT c_bool FROM alltypes
SELECT DISTINCT ON (state) state, candidate_id FROM candidates ORDER BY state, candidate_id
SELECT DISTINCT ON (1) state AS s, candidate_id FROM candidates ORDER BY s, candidate_id DESC LIMIT 3
SELECT DISTINCT ON (c_bool) c_bool, id FROM alltypes ORDER BY c_bool DESC NULLS LAST, id DESC
SELECT DISTINCT ON (state) state, count(*) FROM candidates GROUP BY state, city ORDER BY state, count(*) DESC, city
SELECT DISTINCT ON (state) state, candidate_id FROM candidates ORDER BY candidate_id
SELECT count(*) FROM (SELECT DISTINCT first_name, last_name FROM candidates) d

-- joins
SELECT c.state, c.cnt, d.maxsal FROM (SELECT state, count(*) AS cnt FROM candidates GROUP BY state) c JOIN (SELECT state, max(salary) AS maxsal FROM candidates GROUP BY state) d ON c.state = d.state ORDER BY c.state
SELECT c.candidate_id, c.salary, s.avg_sal FROM candidates c JOIN (SELECT state, round(avg(salary), 2) AS avg_sal FROM candidates GROUP BY state) s ON s.state = c.state WHERE c.candidate_id <= 'CAND-000010' ORDER BY c.candidate_id
SELECT a.id, b.id, a.c_int2 FROM alltypes a JOIN alltypes b ON a.id = b.id WHERE a.id <= 5 ORDER BY a.id
SELECT a.id, b.id FROM alltypes a JOIN alltypes b ON a.c_int4 = b.c_int4 AND a.id <> b.id
SELECT a.id, b.c_text FROM alltypes a LEFT JOIN alltypes b ON b.id = a.id + 18 ORDER BY a.id
SELECT a.id, b.id FROM (SELECT id FROM alltypes WHERE id <= 5) a FULL JOIN (SELECT id FROM alltypes WHERE id BETWEEN 4 AND 8) b ON a.id = b.id
SELECT a.id, b.id FROM alltypes a RIGHT JOIN (SELECT id + 15 AS id FROM alltypes WHERE id <= 10) b ON a.id = b.id
SELECT count(*) FROM candidates c JOIN candidates d ON c.candidate_id = d.candidate_id
SELECT c.candidate_id, d.candidate_id FROM (SELECT candidate_id, last_name, city FROM candidates WHERE candidate_id <= 'CAND-000300') c JOIN (SELECT candidate_id, last_name, city FROM candidates WHERE candidate_id <= 'CAND-000300') d ON d.last_name = c.last_name AND d.city = c.city AND d.candidate_id > c.candidate_id ORDER BY 1, 2
SELECT a.id, b.id FROM alltypes a CROSS JOIN alltypes b WHERE a.id < 3 AND b.id < 3
SELECT a.id, a.c_text, b.cnt FROM alltypes a LEFT JOIN (SELECT c_bool, count(*) AS cnt FROM alltypes GROUP BY c_bool) b ON a.c_bool = b.c_bool ORDER BY a.id
SELECT t.state, t.n FROM (SELECT state, count(*) AS n FROM candidates GROUP BY state) t WHERE t.n > (SELECT avg(n) FROM (SELECT count(*) AS n FROM candidates GROUP BY state) x) ORDER BY t.state
SELECT * FROM (SELECT id, c_int2 FROM alltypes) a JOIN (SELECT id, c_text FROM alltypes) b USING (id) WHERE id < 4 ORDER BY id
SELECT a.id, b.id FROM alltypes a LEFT JOIN alltypes b ON a.c_text = b.c_text AND b.id > 10 WHERE a.id <= 12 ORDER BY a.id

-- subqueries
SELECT id FROM alltypes WHERE id IN (SELECT id * 2 FROM alltypes) ORDER BY id
SELECT id FROM alltypes WHERE id NOT IN (SELECT c_int2 FROM alltypes WHERE c_int2 IS NOT NULL) ORDER BY id
SELECT id FROM alltypes WHERE c_int4 NOT IN (SELECT c_int4 FROM alltypes)
SELECT id FROM alltypes a WHERE EXISTS (SELECT 1 FROM alltypes b WHERE b.id = a.id + 10) ORDER BY id
SELECT id FROM alltypes a WHERE NOT EXISTS (SELECT 1 FROM alltypes b WHERE b.c_int2 = a.c_int2) ORDER BY id
SELECT id, (SELECT max(c_int8) FROM alltypes) FROM alltypes WHERE id < 3 ORDER BY id
SELECT id, (SELECT b.c_text FROM alltypes b WHERE b.id = a.id + 1) FROM alltypes a ORDER BY id
SELECT count(*) FROM candidates WHERE salary > (SELECT avg(salary) FROM candidates)
SELECT id FROM alltypes WHERE c_int2 = ANY (SELECT c_int2 FROM alltypes WHERE id > 15) ORDER BY id
SELECT candidate_id FROM candidates WHERE candidate_id IN (SELECT min(candidate_id) FROM candidates GROUP BY state) ORDER BY 1

-- CTEs
WITH s AS (SELECT state, count(*) AS n FROM candidates GROUP BY state) SELECT state, n FROM s WHERE n > 4000 ORDER BY state
WITH a AS (SELECT id, c_int4 FROM alltypes), b AS (SELECT id FROM a WHERE c_int4 > 0) SELECT a.id, a.c_int4 FROM a JOIN b ON a.id = b.id ORDER BY a.id
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n FROM r ORDER BY n
WITH RECURSIVE f(n, fact) AS (SELECT 1, 1::int8 UNION ALL SELECT n + 1, fact * (n + 1) FROM f WHERE n < 15) SELECT n, fact FROM f ORDER BY n
WITH RECURSIVE d(dt) AS (SELECT date '2024-01-01' UNION ALL SELECT (dt + 7)::date FROM d WHERE dt < date '2024-03-01') SELECT dt FROM d ORDER BY dt
WITH x AS (SELECT candidate_id, salary FROM candidates WHERE salary IS NOT NULL ORDER BY salary DESC, candidate_id LIMIT 3) SELECT * FROM x ORDER BY candidate_id

-- window functions
SELECT id, c_int2, row_number() OVER (ORDER BY c_int2 NULLS LAST, id) FROM alltypes ORDER BY id
SELECT id, c_bool, rank() OVER (PARTITION BY c_bool ORDER BY c_int2) FROM alltypes ORDER BY id
SELECT id, dense_rank() OVER (ORDER BY c_bool) FROM alltypes ORDER BY id
SELECT id, c_int8, sum(c_int8) OVER (PARTITION BY c_bool) FROM alltypes ORDER BY id
SELECT id, sum(c_int2) OVER (ORDER BY id) FROM alltypes ORDER BY id
SELECT id, sum(c_int2) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM alltypes ORDER BY id
SELECT state, n, rank() OVER (ORDER BY n DESC) FROM (SELECT state, count(*) AS n FROM candidates GROUP BY state) s ORDER BY state
SELECT candidate_id, state, salary, row_number() OVER (PARTITION BY state ORDER BY salary DESC NULLS LAST, candidate_id) AS rn FROM candidates WHERE candidate_id <= 'CAND-000200' ORDER BY candidate_id
SELECT * FROM (SELECT state, candidate_id, row_number() OVER (PARTITION BY state ORDER BY salary DESC NULLS LAST, candidate_id) AS rn FROM candidates) t WHERE rn <= 2 ORDER BY state, rn
SELECT id, lag(c_int2) OVER (ORDER BY id), lead(c_text, 2) OVER (ORDER BY id) FROM alltypes ORDER BY id
SELECT id, count(*) OVER (), avg(c_int2) OVER (PARTITION BY c_bool) FROM alltypes ORDER BY id
SELECT id, first_value(id) OVER (PARTITION BY c_bool ORDER BY id), ntile(3) OVER (ORDER BY id) FROM alltypes ORDER BY id
SELECT id, avg(c_int8) OVER (ORDER BY id), sum(c_numeric) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), avg(c_numeric) OVER (PARTITION BY c_bool ORDER BY id) FROM alltypes ORDER BY id
SELECT id, sum(c_float8) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), avg(c_int4) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM alltypes WHERE id > 8 ORDER BY id

-- set operations
SELECT state FROM candidates WHERE city = 'Denver' UNION SELECT state FROM candidates WHERE city = 'Austin'
SELECT id FROM alltypes WHERE id < 5 UNION ALL SELECT id FROM alltypes WHERE id < 3 ORDER BY 1
SELECT id FROM alltypes WHERE id < 8 INTERSECT SELECT id FROM alltypes WHERE id > 4 ORDER BY 1
SELECT id FROM alltypes EXCEPT SELECT id FROM alltypes WHERE c_bool ORDER BY id
SELECT c_bool FROM alltypes INTERSECT ALL SELECT c_bool FROM alltypes WHERE id > 15
SELECT c_bool FROM alltypes EXCEPT ALL SELECT c_bool FROM alltypes WHERE id > 10
SELECT 1 AS a, 'x' AS b UNION SELECT 2, 'y' ORDER BY a
SELECT c_int2 FROM alltypes UNION SELECT c_int4 FROM alltypes WHERE id = 1 ORDER BY 1 NULLS FIRST
SELECT c_numeric FROM alltypes WHERE id = 1 UNION ALL SELECT 5

-- CASE
SELECT id, CASE WHEN c_int2 > 0 THEN 'pos' WHEN c_int2 < 0 THEN 'neg' ELSE 'other' END FROM alltypes ORDER BY id
SELECT id, CASE c_bool WHEN true THEN 1 WHEN false THEN 0 END FROM alltypes ORDER BY id
SELECT status, sum(CASE WHEN salary > 100000 THEN 1 ELSE 0 END) FROM candidates GROUP BY status
SELECT id, CASE WHEN c_numeric > 500 THEN c_numeric ELSE 0 END FROM alltypes ORDER BY id

-- casts
SELECT id, c_int2::int8, c_int4::text, c_numeric::int4 FROM alltypes WHERE id IN (1, 3, 4, 11, 12) ORDER BY id
SELECT id, c_float8::numeric(10,2) FROM alltypes WHERE id IN (1, 10, 11, 13) ORDER BY id
SELECT id, c_timestamptz::date, c_timestamp::date, c_date::timestamptz FROM alltypes ORDER BY id
SELECT id, c_float4::float8, c_int8::float8 FROM alltypes ORDER BY id
SELECT '42'::int4, '3.14159'::numeric(10,2), '2024-01-02'::date, '2024-01-02 03:04:05+02'::timestamptz, '1e3'::float8, 'yes'::bool, 't'::bool, 1::bool, 0::bool
SELECT id, c_int4::bool FROM alltypes WHERE id IN (1, 2, 11) ORDER BY id
SELECT id, c_bool::int4, c_bool::text FROM alltypes ORDER BY id
SELECT salary::int8, salary::float8, salary::text, years_experience::numeric(10,2), score::text FROM candidates WHERE candidate_id = 'CAND-000001'
SELECT created_at::date, created_at::text, CAST(created_at AS timestamp) FROM candidates WHERE candidate_id = 'CAND-000001'
SELECT CAST(12.5 AS int4), CAST(13.5 AS int4), CAST(-12.5 AS int4), (2.5)::float8::int4, (3.5)::float8::int4
SELECT c_uuid::text, c_date::text, c_numeric::text, c_bytea::text FROM alltypes WHERE id = 1
SELECT '2024-02-29 12:00:00'::timestamp::date, '12.345'::float8::numeric(10,2), ' 7 '::int4, '-0'::float8::text
SELECT 1 AS a, 'a' AS b, 1.5 AS c, true AS d, NULL AS e, 3000000000 AS f

-- string functions
SELECT lower(first_name), upper(last_name), length(email) FROM candidates WHERE candidate_id <= 'CAND-000005' ORDER BY candidate_id
SELECT id, length(c_text), char_length(c_text), octet_length(c_text), lower(c_text), upper(c_text) FROM alltypes ORDER BY id
SELECT substring(email from 1 for 5), substring(email, 3), position('@' in email), strpos(email, '.') FROM candidates WHERE candidate_id = 'CAND-000007'
SELECT trim('  ab  '), ltrim('xxabxx', 'x'), rtrim('xxabxx', 'x'), btrim('--a--', '-'), trim(both 'x' from 'xxaxx'), trim(leading from '  a ')
SELECT candidate_id, replace(city, ' ', '_'), split_part(email, '@', 2), split_part(email, '@', 1) FROM candidates WHERE candidate_id <= 'CAND-000003' ORDER BY candidate_id
SELECT initcap('hello wORLD foo-bar'), initcap(c_text) FROM alltypes WHERE id IN (1, 4, 11) ORDER BY id
SELECT left(last_name, 3), right(email, 4), left('abcdef', -2), right('abcdef', -2) FROM candidates WHERE candidate_id = 'CAND-000010'
SELECT lpad(first_name, 10, '*'), rpad(first_name, 10, '.'), lpad('abc', 2) FROM candidates WHERE candidate_id = 'CAND-000010'
SELECT concat(first_name, ' ', last_name, NULL, years_experience), first_name || ' ' || last_name, 'n=' || years_experience FROM candidates WHERE candidate_id = 'CAND-000011'
SELECT id, c_text || NULL, concat_ws('-', c_text, c_int2, c_bool) FROM alltypes ORDER BY id
SELECT reverse('abc'), repeat('ab', 3), md5('abc'), ascii('A'), starts_with('hello', 'he')
SELECT chr(66)
SELECT count(*) FROM candidates WHERE lower(email) LIKE '%.smith%'
SELECT substring(c_text, 2, 3), position('o' in c_text) FROM alltypes WHERE id IN (1, 6, 7) ORDER BY id
SELECT split_part('a,b,c', ',', 5), split_part('a,b,c', ',', -1), replace('aaa', 'a', 'bb'), substring('hello', 0, 3)
SELECT id, c_json->>'id', c_json->'tags'->>0 FROM alltypes WHERE id > 10 ORDER BY id
SELECT id, c_json->'tags', c_json #> '{tags,0}', c_json #>> '{tags,-1}', c_json->'nosuch' FROM alltypes ORDER BY id
SELECT '{"a":1,"a":[1, 2]}'::json->'a', '[1,2,3]'::json->-1, '[1,2,3]'::json->>5, '{"a":null}'::json->>'a', '{"a":{"b" : 1}}'::json -> 'a', '{"a":"x\u00e9"}'::json->>'a'
SELECT '{"a":1'::json->'a'
SELECT upper(city), count(*) FROM candidates WHERE state = 'CA' GROUP BY upper(city)

-- math
SELECT candidate_id, round(salary), round(salary, -3), round(salary / 7, 3), abs(-salary), ceil(salary / 1000), floor(salary / 1000), trunc(salary / 7, 1) FROM candidates WHERE candidate_id <= 'CAND-000005' ORDER BY candidate_id
SELECT round(2.5), round(-2.5), round(2.5::float8), round(3.5::float8), round(-0.5::float8), round(1.2345, 2)
SELECT mod(17, 5), mod(-17, 5), 17 % -5, power(2, 10), power(2.0, 0.5), sqrt(2), sqrt(16::numeric)
SELECT cbrt(27::float8)
SELECT id, abs(c_int2), ceil(c_float8), floor(c_float8), trunc(c_float8), sign(c_int4) FROM alltypes WHERE id > 10 ORDER BY id
SELECT id, c_int4 / 7, c_int4 % 7, c_int8 / 1000000, c_numeric / 3 FROM alltypes WHERE id > 10 ORDER BY id
SELECT years_experience / 4, years_experience % 4, count(*) FROM candidates GROUP BY 1, 2 ORDER BY 1, 2
SELECT 10 / 4, 10.0 / 4, 10 / 4.0, 10::float8 / 4, 1 / 3::numeric(10,2), 2 ^ 10
SELECT exp(1.0), ln(10), log(100), log(2, 8), pi()
SELECT id, c_float8 * 2, c_float8 + 1, -c_float8 FROM alltypes WHERE id >= 5 ORDER BY id
SELECT id, c_int2 + c_int2, c_int4 * 2, c_int8 - 1, c_int2::int8 * c_int4 FROM alltypes WHERE id > 10 ORDER BY id
SELECT salary * 1.1, salary + 0.005, salary * years_experience, salary / 3 FROM candidates WHERE candidate_id = 'CAND-000012'
SELECT 1::numeric / 3, 10::numeric(10,2) / 4, 1.0 / 3, 2::numeric / 3 * 3
SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7.5 % 2, 9223372036854775807 / 2
SELECT abs(-5), abs(-5.5), ceil(-1.5), floor(-1.5), trunc(-1.57, 1), round(-1.555, 2)
SELECT c_numeric * c_numeric, c_numeric + c_int4 FROM alltypes WHERE id IN (1, 11, 12) ORDER BY id

-- dates and times
SELECT date_trunc('month', created_at), date_trunc('day', created_at), date_trunc('hour', created_at) FROM candidates WHERE candidate_id = 'CAND-000001'
SELECT extract(year FROM created_at), extract(month FROM created_at), extract(dow FROM created_at), extract(doy FROM created_at), extract(epoch FROM created_at) FROM candidates WHERE candidate_id = 'CAND-000002'
SELECT date_part('year', created_at), date_part('hour', created_at), date_part('minute', created_at), date_part('second', created_at) FROM candidates WHERE candidate_id = 'CAND-000003'
SELECT c_date + 1, c_date - 1, c_date + interval '1 day', c_date - date '2000-01-01' FROM alltypes WHERE id IN (1, 12, 13) ORDER BY id
SELECT c_timestamptz + interval '1 hour', c_timestamptz - interval '1 month', c_timestamp + interval '2 days 3 hours' FROM alltypes WHERE id IN (1, 11) ORDER BY id
SELECT date '2024-02-29' + 365, date '2024-03-31' - interval '1 month', timestamp '2024-01-31 10:00' + interval '1 month', date '2024-12-25' - date '2024-01-01'
SELECT id, extract(year FROM c_date), extract(month FROM c_timestamp), extract(day FROM c_timestamptz) FROM alltypes ORDER BY id
SELECT id, date_trunc('year', c_timestamp), date_trunc('week', c_timestamptz), date_trunc('quarter', c_date) FROM alltypes WHERE id > 10 ORDER BY id
SELECT count(*) FROM candidates WHERE created_at::date = date '2023-07-04'
SELECT created_at::date AS d, count(*) FROM candidates WHERE created_at < '2021-01-05' GROUP BY 1 ORDER BY 1
SELECT timestamp '2024-03-01' - timestamp '2023-01-15', date '2024-03-01' - 1
SELECT age(timestamp '2024-03-01', timestamp '2023-01-15')
SELECT id, c_timestamptz - timestamptz '2000-01-01 00:00:00+00' FROM alltypes WHERE id > 10 ORDER BY id
SELECT make_date(2024, 2, 29), date_part('dow', date '2024-02-29'), extract(quarter FROM date '2024-08-01'), extract(isodow FROM date '2024-09-01')
SELECT count(*) FROM candidates WHERE created_at >= date '2024-01-01' AND created_at < date '2024-01-01' + interval '1 month'
SELECT extract(epoch FROM c_timestamptz), extract(microseconds FROM c_timestamp) FROM alltypes WHERE id IN (1, 3, 10) ORDER BY id

-- NULL handling
SELECT id, coalesce(c_int4, c_int2, -1), coalesce(c_text, '(none)'), nullif(c_int2, 100), nullif(c_text, '') FROM alltypes ORDER BY id
SELECT id, greatest(c_int2, c_int4), least(c_int2, c_int4), greatest(c_date, date '2000-01-01') FROM alltypes ORDER BY id
SELECT count(*), count(phone), count(salary), count(score), count(linkedin_url), count(notes) FROM candidates
SELECT NULL::int + 1, NULL = NULL, NULL IS NULL, coalesce(NULL, NULL, 'x'), NULL::text || 'a'
SELECT coalesce(salary, 0) FROM candidates WHERE salary IS NULL ORDER BY candidate_id LIMIT 3
SELECT greatest(1, 2, 3), least(1.5, 2), greatest('a', 'b', NULL), least(NULL::int, NULL)
SELECT coalesce(notes, 'n/a'), count(*) FROM candidates GROUP BY 1
SELECT c_text, count(*) FROM alltypes GROUP BY c_text
SELECT id, coalesce(c_float8, c_float4), coalesce(c_numeric, c_int8) FROM alltypes ORDER BY id

-- session settings, time zones, version
SHOW TimeZone
SHOW DateStyle
SHOW IntervalStyle
SHOW standard_conforming_strings
SHOW client_encoding
SELECT left(version(), 14)
SELECT current_setting('server_version_num')::int / 10000
SET TimeZone = 'America/New_York'
SHOW timezone
SELECT id, c_timestamptz FROM alltypes ORDER BY id
SELECT created_at FROM candidates WHERE candidate_id = 'CAND-000001'
SELECT id, c_date::timestamptz, date_trunc('day', c_timestamptz), extract(hour FROM c_timestamptz) FROM alltypes WHERE id IN (1, 11) ORDER BY id
SELECT '2024-07-01 12:00:00'::timestamptz, '2024-01-01 12:00:00'::timestamptz, '2024-07-01 12:00:00+00'::timestamptz::date
SELECT id, c_timestamp::timestamptz, c_timestamptz::timestamp FROM alltypes WHERE id IN (1, 11) ORDER BY id
SELECT count(*) FROM alltypes WHERE c_timestamptz < '2012-01-01 00:00:00'
SET TimeZone = 'Asia/Kolkata'
SELECT id, c_timestamptz FROM alltypes WHERE id IN (1, 3, 10) ORDER BY id
SELECT date_trunc('day', created_at), created_at::date, extract(hour FROM created_at) FROM candidates WHERE candidate_id = 'CAND-000001'
SET TIME ZONE 'UTC'
SHOW TIME ZONE
SELECT id, c_timestamptz FROM alltypes WHERE id IN (1, 3) ORDER BY id

-- errors, compared by SQLSTATE
SELECT * FROM nosuchtable
SELECT nosuchcolumn FROM candidates
SELECT * FROM candidates c JOIN alltypes a ON c.x = a.id
SELECT 1 / 0
SELECT years_experience / 0 FROM candidates
SELECT 1.0 / 0
SELECT 5 % 0
SELECT '12a'::int4
SELECT 'abc'::date
SELECT 'x'::uuid
SELECT count(*) FROM candidates WHERE years_experience = 'abc'
SELECT c_int4 * 2 FROM alltypes
SELECT 32767::int2 + 1::int2
SELECT sqrt(-1)
SELECT abs(c_int2) FROM alltypes
SELECT candidate_id FROM candidates GROUP BY state
SELECT nosuchfunction(1)
SELEC 1
SELECT FROM WHERE
SELECT 'unterminated
