"""Probes for a load balancer and a monitor: /healthz, /readyz and /metrics.

``/healthz`` says the process answers. ``/readyz`` says the database answers and its
migrations are at head. Neither needs sign-in nor tells anything else. ``/metrics`` speaks
Prometheus' text format and is open only to a bearer token (``METRICS_TOKEN``) or to the
addresses in ``METRICS_ALLOW`` (loopback by default).
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from flick_admin.audit.context import client_ip
from flick_admin.permissions import public
from flick_admin.permissions import STAFF_ROLES
from flick_admin.extensions import db

bp = Blueprint("probes", __name__)


@bp.route("/healthz")
@public
def healthz():
    return Response("ok\n", mimetype="text/plain")


@bp.route("/readyz")
@public
def readyz():
    from flick_admin.ops.health import current_revision, head_revision

    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            ready = current_revision(conn) == head_revision()
    except sa.exc.SQLAlchemyError:
        ready = False
    if ready:
        return Response("ready\n", mimetype="text/plain")
    return Response("not ready\n", status=503, mimetype="text/plain")


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    address = client_ip()
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in current_app.config["METRICS_ALLOW"])


@bp.route("/metrics")
@public  # guarded by its own token or address list, not by a staff session
def metrics():
    if not _allowed():
        return Response("forbidden\n", status=403, mimetype="text/plain")
    registry: CollectorRegistry = current_app.extensions["flick_admin.metrics"]
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4; charset=utf-8")


class DatabaseCollector:
    """Numbers read from the database at scrape time (kept ``METRICS_CACHE_SECONDS``), the
    same from every worker."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._cached: tuple[float, list] | None = None

    def collect(self):
        ttl = float(self.app.config.get("METRICS_CACHE_SECONDS", 15))
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < ttl:
                yield from self._cached[1]
                return
        families = self._read()
        with self._lock:
            self._cached = (time.monotonic(), families)
        yield from families

    def _read(self) -> list:
        from flick_admin.db import ContentReport, Log
        from flick_admin.home.overview import kind_of

        pending = GaugeMetricFamily("flick_admin_pending_reports", "Content reports waiting for a decision.")
        oldest = GaugeMetricFamily("flick_admin_oldest_pending_report_age_seconds",
                                   "Age of the oldest pending content report.")
        actions = GaugeMetricFamily("flick_admin_staff_actions_24h", "Staff actions in the last 24 hours.",
                                    labels=["kind"])
        failures = GaugeMetricFamily("flick_admin_sign_in_failures_24h",
                                     "Failed staff sign-ins in the last 24 hours.")
        up = GaugeMetricFamily("flick_admin_database_up", "1 when the database answered this scrape.")
        since = datetime.now(UTC) - timedelta(hours=24)
        session = db.session  # the scrape's own request session, used only to read
        try:
            count, first = session.execute(
                sa.select(sa.func.count(), sa.func.min(ContentReport.created_at))
                .where(ContentReport.status == "pending")).one()
            by_kind: dict[str, int] = {}
            for action, n in session.execute(
                    sa.select(Log.action, sa.func.count())
                    .where(Log.occured_at >= since, Log.actor_type.in_(STAFF_ROLES))
                    .group_by(Log.action)):
                by_kind[kind_of(action)] = by_kind.get(kind_of(action), 0) + n
            failed = session.scalar(
                sa.select(sa.func.count()).select_from(Log)
                .where(Log.occured_at >= since, Log.action == "admin:failed:login:self"))
        except sa.exc.SQLAlchemyError:
            session.rollback()
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        pending.add_metric([], count)
        age = 0.0
        if first is not None:
            age = (datetime.now(UTC).replace(tzinfo=None) - first).total_seconds()
        oldest.add_metric([], max(age, 0.0))
        for kind in ("content", "reports", "users", "colleges", "other"):
            actions.add_metric([kind], by_kind.get(kind, 0))
        failures.add_metric([], failed)
        return [up, pending, oldest, actions, failures]


class ReplicaCollector:
    """The read replica, when configured: whether list pages use it, and how far behind it
    is (or was when last seen). Read at every scrape: it is what an alert watches."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        from flick_admin.db import replica

        status = replica.measure(self.app)
        if status is None:
            return
        up = GaugeMetricFamily("flick_admin_replica_up", "1 when list pages read the replica, 0 when they "
                               "fell back to the primary.")
        up.add_metric([], 1 if status.available else 0)
        yield up
        if status.lag_bytes is not None:
            lag = GaugeMetricFamily("flick_admin_replica_lag_bytes",
                                    "WAL the replica had not replayed, when last measured.")
            lag.add_metric([], status.lag_bytes)
            yield lag
        if status.lag_seconds is not None:
            age = GaugeMetricFamily("flick_admin_replica_lag_seconds",
                                    "Age of the last transaction the replica replayed, when last measured.")
            age.add_metric([], status.lag_seconds)
            yield age


def init_app(app: Flask) -> None:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(app))
    registry.register(ReplicaCollector(app))
    latency = Histogram("flick_admin_request_seconds", "Time to answer a request (this worker).",
                        ["method", "status"], registry=registry,
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
    app.extensions["flick_admin.metrics"] = registry
    app.register_blueprint(bp)

    @app.before_request
    def start_clock():
        g.started = time.perf_counter()

    @app.after_request
    def observe(response):
        started = g.get("started")
        if started is not None:
            latency.labels(request.method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        return response
