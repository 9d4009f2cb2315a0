"""Fill a PostgreSQL database with Flick-shaped data at a chosen scale, inside PostgreSQL.

    python -m bench.generate --database-url postgresql://postgres@127.0.0.1/flick_bench
    python -m bench.generate --scale 0.05          # a twentieth, for a quick run

Scale 1.0 (the default) is 1,000 colleges, 200,000 students, 1,000,000 posts over two
years across every topic (~2 % banned, ~1 % shadow-banned), 3,000,000 comments,
200,000 reports and 5,000,000 log rows with realistic actors and actions, plus 50 staff.
Rows are made by ``INSERT … SELECT … FROM generate_series`` with deterministic ids
(``md5('post' || n)::uuid``), so rows can refer to each other without lookups. Secondary
indexes are dropped while loading and rebuilt afterwards, which is several times faster
than maintaining them row by row.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import contextmanager

import sqlalchemy as sa

from flick_admin.config import normalise_database_url
from flick_admin.db.quoting import ident

BIG_TABLES = ("auth", "platform_user", "posts", "comments", "content_reports", "logs")
TOPICS = ("Ask Flick", "Serious Discussion", "Career Advice", "Showcase", "Off-topic",
          "Community Event", "Rant / Vent", "Help / Support", "Feedback / Suggestion",
          "News / Update", "Guide / Resource")
STAFF = 50
STAFF_PASSWORD = "bench-staff-password"


def sql_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def counts(scale: float) -> dict[str, int]:
    def n(base: int) -> int:
        return max(1, int(base * scale))
    return {"colleges": n(1000), "students": n(200_000), "posts": n(1_000_000),
            "comments": n(3_000_000), "reports": n(200_000), "logs": n(5_000_000)}


def run(conn, statement: str) -> None:
    """Execute literal SQL (its ``%`` are operators, not placeholders)."""
    conn.exec_driver_sql(statement.replace("%", "%%"))


@contextmanager
def step(label: str):
    started = time.perf_counter()
    print(f"  {label:<44}", end="", flush=True)
    yield
    print(f"{time.perf_counter() - started:7.1f} s", flush=True)


def generate(url: str, scale: float = 1.0, chain_rows: int = 1_000_000) -> dict[str, int]:
    from flick_admin import create_app
    from flick_admin.extensions import db

    c = counts(scale)
    app = create_app({"DATABASE_URL": url, "FLICK_ADMIN_ENV": "testing", "SECRET_KEY": "bench"})
    with app.app_context():
        from flask_migrate import upgrade

        with step("migrate to head"):
            upgrade(directory=app.extensions["migrate"].directory)
        engine = db.engine
    print(f"Generating {', '.join(f'{v:,} {k}' for k, v in c.items())}")
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("SET synchronous_commit = off")
        conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        conn.exec_driver_sql("SELECT setseed(0.42)")
        with step("empty the tables"):
            conn.exec_driver_sql("SET session_replication_role = replica")  # skip the append-only guard
            conn.exec_driver_sql(
                "TRUNCATE admin_audit_chain, admin_audit_checkpoints, logs, content_reports, "
                "comments, posts, votes, bookmarks, notifications, feedbacks, platform_user, "
                "session, account, two_factor, user_blocks, auth, college_branches, branches, "
                "college_requests, colleges, banned_words CASCADE")
            conn.exec_driver_sql("SET session_replication_role = origin")
        saved = conn.execute(sa.text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(:t) AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"),
            {"t": list(BIG_TABLES)}).all()
        with step(f"drop {len(saved)} secondary indexes"):
            for name, _ in saved:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {ident(name)}")
        _load(conn, c)
        with step(f"rebuild {len(saved)} secondary indexes"):
            for _, definition in saved:
                conn.exec_driver_sql(definition)
        with step("analyze"):
            conn.exec_driver_sql("ANALYZE")
    if chain_rows:
        with step(f"chain {min(chain_rows, c['logs']):,} audit rows"):
            chain_existing(engine, chain_rows)
    with step("running tallies (first catch-up)"), app.test_request_context("/"):
        from flick_admin.tallies import catch_up

        catch_up()
    return c


def _load(conn, c: dict[str, int]) -> None:
    C, U, P, M, R, L = (c["colleges"], c["students"], c["posts"], c["comments"], c["reports"],
                        c["logs"])
    two_years = "interval '730 days'"
    with step("colleges and branches"):
        run(conn, f"""
            INSERT INTO colleges (id, name, "emailDomain", city, state, "createdAt", "updatedAt")
            SELECT md5('college' || g)::uuid, 'College of ' || initcap(md5(g::text)::varchar(8)) || ' ' || g,
                   'college' || g || '.edu', (ARRAY['Pune','Chennai','Delhi','Kochi','Jaipur','Bhopal'])[1 + g % 6],
                   (ARRAY['MH','TN','DL','KL','RJ','MP'])[1 + g % 6], now() - {two_years}, now() - interval '30 days'
            FROM generate_series(0::bigint, {C - 1}) g""")
        run(conn, """
            INSERT INTO branches (id, name, code)
            SELECT md5('branch' || g)::uuid, (ARRAY['Computer Science','Electronics','Information Technology',
                   'Mechanical','Civil','Chemical','Biotechnology','Mathematics','Physics','Commerce'])[g + 1],
                   (ARRAY['CSE','ECE','IT','ME','CE','CHE','BT','MA','PH','COM'])[g + 1]
            FROM generate_series(0, 9) g""")
        run(conn, f"""
            INSERT INTO college_branches (id, "collegeId", "branchId")
            SELECT gen_random_uuid(), md5('college' || g)::uuid, md5('branch' || ((g + k) % 10))::uuid
            FROM generate_series(0::bigint, {C - 1}) g, generate_series(0, 4) k""")
    with step(f"{U:,} students"):
        run(conn, f"""
            INSERT INTO auth (id, name, email, email_verified, created_at, updated_at, role, banned,
                              ban_reason, ban_expires)
            SELECT 'stu' || g, 'Student ' || g, 'student' || g || '@college' || (g % {C}) || '.edu', true,
                   now() - random() * {two_years}, now(), 'user',
                   (g % 50 = 0) OR (g % 97 = 0),
                   CASE WHEN g % 50 = 0 THEN 'Repeated harassment' WHEN g % 97 = 0 THEN 'Spam' END,
                   CASE WHEN g % 97 = 0 AND g % 50 <> 0 THEN now() + ((g % 20) - 5) * interval '1 day' END
            FROM generate_series(0::bigint, {U - 1}) g""")
        run(conn, f"""
            INSERT INTO platform_user (id, created_at, updated_at, auth_id, username, college_id, branch,
                                       karma, is_accepted_terms, status)
            SELECT md5('user' || g)::uuid, now() - random() * {two_years}, now(), 'stu' || g,
                   'student_' || g, md5('college' || (g % {C}))::uuid,
                   CASE WHEN g % 12 = 0 THEN NULL ELSE
                     (ARRAY['Computer Science','Electronics','Information Technology','Mechanical','Civil'])[1 + g % 5] END,
                   (random() * 500)::int, g % 12 <> 0,
                   (CASE WHEN g % 12 = 0 THEN 'ONBOARDING' ELSE 'ACTIVE' END)::user_status
            FROM generate_series(0::bigint, {U - 1}) g""")
    with step(f"{P:,} posts"):
        run(conn, f"""
            INSERT INTO posts (id, title, content, "postedBy", topic, "isPrivate", "isBanned",
                               "isShadowBanned", views, "createdAt", "updatedAt")
            SELECT md5('post' || g)::uuid,
                   (ARRAY['Anyone else stuck on the DBMS assignment','Best place to eat near campus',
                          'Internship offers this season','Hackathon team looking for a designer',
                          'Library hours changed again','How do you prepare for placements',
                          'The wifi in hostel B','Getting started with competitive programming',
                          'Lost ID card near the canteen','Fest volunteers needed'])[1 + g % 10] || ' #' || g,
                   (ARRAY['Has anyone figured out the third question yet?','I think the deadline moved to Friday.',
                          'Honestly the seniors gave the best advice on this.','Try the stall behind the main gate.',
                          'The placement cell posted the list on the portal.','DM me if you want the notes.'])[1 + g % 6]
                   || ' ' || md5(g::text),
                   -- Planted: a third of the posts that truly warrant action (g % 10 = 0)
                   -- are by a student with past sanctions (the students whose index
                   -- divided by the number of colleges is a multiple of 20: one in 20, in
                   -- every college).
                   md5('user' || (CASE WHEN g % 30 = 0
                                       THEN (g * 7919 + g / 10) % {U} - (g * 7919 + g / 10) % {U} / {C} % 20 * {C}
                                       ELSE (g * 7919 + g / 10) % {U} END))::uuid,
                   ({sql_array(TOPICS)})[1 + g % {len(TOPICS)}]::topic_enum,
                   g % 40 = 0, r < 0.02, r >= 0.02 AND r < 0.03, (random() * 5000)::int,
                   t, t
            FROM (SELECT g, random() AS r, now() - random() * {two_years} AS t
                  FROM generate_series(0::bigint, {P - 1}) g) s""")
    with step(f"{M:,} comments"):
        run(conn, f"""
            INSERT INTO comments (id, content, "postId", "commentedBy", "isBanned", "parentCommentId",
                                  "createdAt", "updatedAt")
            SELECT md5('comment' || g)::uuid,
                   (ARRAY['Same here, no reply from the office.','Congrats, that looks really polished!',
                          'Please keep this thread on topic.','I can help with the backend part.',
                          'Does anyone know if attendance counts for this?'])[1 + g % 5],
                   p.id, md5('user' || ((g * 104729 + g / 10) % {U}))::uuid, g % 60 = 0,
                   CASE WHEN g >= {P} AND g % 3 = 0 THEN md5('comment' || (g - {P}))::uuid END,
                   p."createdAt" + (g / {P} + 1) * interval '37 minutes',
                   p."createdAt" + (g / {P} + 1) * interval '37 minutes'
            FROM generate_series(0::bigint, {M - 1}) g
            JOIN posts p ON p.id = md5('post' || (g % {P}))::uuid""")
    with step(f"{R:,} reports, with planted ground truth"):
        # Ground truth (bench only, in bench_actionable): every 10th post and comment truly
        # warrants action. One student in 20 reports; by profile index (over colleges), a tenth are
        # reliable (85 % of their reports are about actionable items), three tenths
        # unreliable (5 %), the rest average (25 %). Popular items draw many reports (a cubic skew),
        # whatever their truth. Reports older than 30 days were decided, and rightly:
        # resolved when the item warrants action, else ignored; the newer ones wait.
        reporters = max(1, U // 20)
        run(conn, "DROP TABLE IF EXISTS bench_actionable")
        run(conn, "CREATE TABLE bench_actionable (target_id uuid PRIMARY KEY)")
        run(conn, f"""
            INSERT INTO bench_actionable SELECT md5('post' || g)::uuid
            FROM generate_series(0::bigint, {P - 1}, 10) g
            UNION ALL SELECT md5('comment' || g)::uuid FROM generate_series(0::bigint, {M - 1}, 10) g""")
        run(conn, f"""
            INSERT INTO content_reports (id, type, post_id, comment_id, reported_by, reason, status,
                                         message, created_at, updated_at)
            SELECT md5('report' || g)::uuid,
                   (CASE WHEN on_post THEN 'Post' ELSE 'Comment' END)::report_type,
                   CASE WHEN on_post THEN md5('post' || item)::uuid END,
                   CASE WHEN NOT on_post THEN md5('comment' || item)::uuid END,
                   md5('user' || reporter)::uuid,
                   (ARRAY['SPAM','HARASSMENT','INAPPROPRIATE','HATE_SPEECH','VIOLENCE','OTHER'])[1 + g % 6],
                   CASE WHEN t > now() - interval '30 days' THEN 'pending'
                        WHEN item % 10 = 0 THEN 'resolved' ELSE 'ignored' END,
                   'Reported from the app', t, t + (g % 72) * interval '1 hour'
            FROM (SELECT g, on_post, reporter, t,
                         CASE WHEN hit THEN 10 * floor(pool * power(r2, 3))::bigint
                              ELSE 10 * floor(pool * power(r2, 3))::bigint + 1 + g % 9 END AS item
                  FROM (SELECT g, on_post, reporter, t, r2,
                               (CASE WHEN on_post THEN {P} ELSE {M} END) / 10 - 1 AS pool,
                               r1 < (CASE WHEN reporter / {C} % 10 = 0 THEN 0.85
                                          WHEN reporter / {C} % 10 < 4 THEN 0.05 ELSE 0.25 END) AS hit
                        FROM (SELECT g, g % 10 < 7 AS on_post, (g * 13) % {reporters} AS reporter,
                                     random() AS r1, random() AS r2,
                                     now() - random() * interval '120 days' AS t
                              FROM generate_series(0::bigint, {R - 1}) g) a) b) c""")
    with step("50 staff with sign-ins"):
        from flick_admin.auth.passwords import hash_password

        hashed = hash_password(STAFF_PASSWORD)
        run(conn, f"""
            INSERT INTO auth (id, name, email, email_verified, role, banned)
            SELECT 'staff' || g, 'Staff ' || g, 'staff' || g || '@flick.bench', true,
                   (ARRAY['moderator','moderator','moderator','admin','auditor'])[1 + g % 5], false
            FROM generate_series(0::bigint, {STAFF - 1}) g""")
        run(conn, f"""
            INSERT INTO account (id, account_id, provider_id, user_id, password, updated_at)
            SELECT 'acc-staff' || g, 'staff' || g, 'credential', 'staff' || g, '{hashed}', now()
            FROM generate_series(0::bigint, {STAFF - 1}) g""")
        run(conn, "UPDATE auth SET role = 'superadmin' WHERE id = 'staff0'")
    with step(f"{L:,} log rows"):
        run(conn, f"""
            INSERT INTO logs (id, occured_at, actor_id, actor_type, action, entity_type, entity_id,
                              before, after, reason, ip_address, user_agent, request_id, metadata)
            SELECT md5('log' || g)::uuid, now() - ({L} - g) * ({730 * 86400.0 / L}) * interval '1 second',
                   CASE WHEN staff THEN 'staff' || ((g / 10) % {STAFF}) WHEN g % 3 = 0 THEN NULL
                        ELSE 'stu' || (g % {U}) END,
                   (CASE WHEN staff THEN (ARRAY['moderator','moderator','moderator','admin','auditor'])[1 + ((g / 10) % {STAFF}) % 5]
                         WHEN g % 3 = 0 THEN 'system' ELSE 'user' END)::log_role,
                   CASE WHEN staff THEN (ARRAY['admin:blocked:content','admin:updated:report:status',
                        'admin:suspended:user','admin:shadow:banned:content','admin:banned:user',
                        'admin:updated:college'])[1 + g % 6]
                        ELSE (ARRAY['user:created:post','user:created:comment','user:upvoted:post',
                        'user:reported:content','user:logged:in:self'])[1 + g % 5] END,
                   (CASE WHEN staff THEN (ARRAY['post','content-report','user','post','user','college'])[1 + g % 6]
                         ELSE (ARRAY['post','comment','vote','content-report','auth'])[1 + g % 5] END)::log_entity_type,
                   CASE WHEN g % 6 = 5 AND staff THEN md5('college' || (g % {C}))::uuid::text
                        WHEN g % 6 IN (2, 4) AND staff THEN 'stu' || (g % {U} - g % {U} / {C} % 20 * {C})
                        ELSE md5('post' || (g % {P}))::uuid::text END,
                   CASE WHEN staff THEN '{{"isBanned": false}}'::jsonb END,
                   CASE WHEN staff THEN '{{"isBanned": true}}'::jsonb END,
                   CASE WHEN staff THEN (ARRAY['Spam or scam','Harassment or bullying','Off-topic or low quality',
                        'Hate speech: slur in title','Report reviewed: no violation'])[1 + g % 5] END,
                   ('10.' || (g % 250) || '.' || (g % 200) || '.' || (g % 199 + 1))::inet,
                   'Mozilla/5.0 (bench)', md5('req' || (g / 2))::uuid,
                   CASE WHEN staff THEN jsonb_build_object('label', 'Item #' || (g % {P})) END
            FROM (SELECT g, g % 10 < 3 AS staff FROM generate_series(0::bigint, {L - 1}) g) s""")


def chain_existing(engine, limit: int, batch: int = 20_000) -> None:
    """Chain log rows exactly as Flick Admin on PostgreSQL would have (format 2: the hash
    over the row's text as PostgreSQL prints it), so that the verification can be measured
    over a long chain."""
    import io

    from flick_admin.audit import chain
    from flick_admin.audit.chain_sql import own_rows
    from flick_admin.db import Log

    # Every row only Flick Admin writes (as in production: all of them carry a link), and
    # the oldest ``limit`` rows besides.
    with engine.connect() as conn:
        edge = conn.execute(sa.select(Log.occured_at, Log.id).order_by(Log.occured_at, Log.id)
                            .offset(max(limit - 1, 0)).limit(1)).first()
    chained = own_rows()
    if edge is not None:
        chained = sa.or_(chained, sa.tuple_(Log.occured_at, Log.id) <= sa.tuple_(
            sa.literal(edge.occured_at, Log.occured_at.type), sa.literal(edge.id, Log.id.type)))
    prev, seq = chain.GENESIS, 0
    stmt = (sa.select(Log.id, chain.postgres_canonical().label("text"))
            .where(chained).order_by(Log.occured_at, Log.id))
    with engine.connect() as reading, engine.connect() as writing:
        # One pass in time order through a server-side cursor; links written as they come.
        rows = reading.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        raw = writing.connection.dbapi_connection
        for part in rows.partitions():
            buffer = io.StringIO()
            for row in part:
                seq += 1
                digest = chain.postgres_text_hash(prev, row.text)
                buffer.write(f"{seq}\t{row.id}\t{prev}\t{digest}\t{chain.FORMAT_POSTGRES}\n")
                prev = digest
            with raw.cursor() as cursor, cursor.copy(
                    "COPY admin_audit_chain (seq, log_id, prev_hash, row_hash, format) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            raw.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/flick_bench")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--chain", type=int, default=1_000_000, help="audit rows to chain")
    parser.add_argument("--create", action="store_true", help="create the database first")
    args = parser.parse_args(argv)
    url = normalise_database_url(args.database_url)
    if args.create:
        target = sa.engine.make_url(url)
        admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {ident(target.database)} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {ident(target.database)}")
        admin.dispose()
    started = time.perf_counter()
    generate(url, args.scale, args.chain)
    print(f"Done in {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
