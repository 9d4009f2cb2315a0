"""Branches and college requests."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin.db import Branch, College, CollegeBranch, CollegeRequest
from tests import factories
from tests.conftest import audit_rows


def test_branch_create_edit_delete_are_audited(client, dbs, login_as):
    login_as("admin")
    assert client.post("/branches/new", data={"name": "Data Science", "code": "ds"}).status_code == 303
    branch = dbs.scalars(sa.select(Branch).where(Branch.code == "DS")).one()
    (created,) = audit_rows(dbs, action="admin:created:branch")
    assert created.after == {"name": "Data Science", "code": "DS"}
    factories.StudentFactory.create_batch(2, branch="Data Science")
    client.post(f"/branches/{branch.id}/edit", data={"name": "Data Science and AI", "code": "DS"})
    (updated,) = audit_rows(dbs, action="admin:updated:branch")
    assert updated.before == {"name": "Data Science"} and updated.after == {"name": "Data Science and AI"}
    assert updated.metadata_["students_with_old_name"] == 2


def test_branch_code_is_unique_case_insensitively(client, dbs, login_as):
    login_as("admin")
    factories.BranchFactory(name="Computer Science", code="CSE")
    response = client.post("/branches/new", data={"name": "Another", "code": "cse"})
    assert response.status_code == 409 and "already used by Computer Science" in response.get_data(as_text=True)
    bad = client.post("/branches/new", data={"name": "Odd", "code": "no spaces allowed here!"})
    assert bad.status_code == 400
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Branch)) == 1


def test_branch_page_lists_colleges_and_students_and_delete_says_how_many(client, dbs, login_as):
    login_as("admin")
    branch = factories.BranchFactory(name="Mechanical", code="ME")
    college = factories.CollegeFactory(name="Offering College")
    factories.CollegeBranchFactory(college=college, branch=branch)
    factories.StudentFactory(branch="Mechanical")
    page = client.get(f"/branches/{branch.id}").get_data(as_text=True)
    assert "Offering College" in page and 'data-testid="students">1<' in page
    assert "Removes it from 1 college(s). 1 student(s) still carry its name." in page
    assert client.post(f"/branches/{branch.id}/delete", data={"confirmation": "XX"}).status_code == 400
    branch_id = branch.id
    assert client.post(f"/branches/{branch_id}/delete", data={"confirmation": "me"}).status_code == 303
    dbs.expunge_all()
    assert dbs.get(Branch, branch_id) is None
    assert dbs.scalar(sa.select(sa.func.count()).select_from(CollegeBranch)) == 0
    (row,) = audit_rows(dbs, action="admin:deleted:branch")
    assert row.before["colleges"] == ["Offering College"] and row.metadata_["students_with_name"] == 1


def _approve_form(**overrides):
    data = {"name": "Requested College", "email_domain": "requested.edu", "city": "Goa", "state": "Goa"}
    data.update(overrides)
    return data


def test_approve_creates_college_links_branches_and_resolves_in_one_unit(client, dbs, login_as):
    login_as("admin")
    branch = factories.BranchFactory()
    req = factories.CollegeRequestFactory(name="Requested College", email_domain="requested.edu")
    page = client.get(f"/college-requests/{req.id}").get_data(as_text=True)
    assert 'value="Requested College"' in page and 'value="requested.edu"' in page
    response = client.post(f"/college-requests/{req.id}/approve",
                           data=_approve_form(name="Requested College (edited)", branches=[str(branch.id)]))
    assert response.status_code == 303
    dbs.expire_all()
    req = dbs.get(CollegeRequest, req.id)
    college = dbs.scalars(sa.select(College).where(College.email_domain == "requested.edu")).one()
    assert college.name == "Requested College (edited)"
    assert (req.status, req.resolved_college_id) == ("approved", college.id) and req.resolved_at
    assert dbs.scalar(sa.select(CollegeBranch.branch_id).where(CollegeBranch.college_id == college.id)) == branch.id
    created = audit_rows(dbs, action="admin:created:college")
    approved = audit_rows(dbs, action="admin:approved:college-request")
    assert len(created) == 1 and len(approved) == 1
    assert approved[0].after["resolvedCollegeId"] == str(college.id)
    assert created[0].request_id == approved[0].request_id


def test_second_approve_is_refused(client, dbs, login_as):
    login_as("admin")
    req = factories.CollegeRequestFactory(email_domain="twice.edu")
    client.post(f"/college-requests/{req.id}/approve", data=_approve_form(email_domain="twice.edu"))
    again = client.post(f"/college-requests/{req.id}/approve", data=_approve_form(email_domain="twice2.edu"))
    assert again.status_code == 409 and "already approved" in again.get_data(as_text=True)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(College)) == 1


def test_approval_with_a_taken_domain_fails_whole_and_offers_linking(client, dbs, login_as):
    login_as("admin")
    existing = factories.CollegeFactory(name="Already Here", email_domain="here.edu")
    req = factories.CollegeRequestFactory(email_domain="HERE.edu")
    page = client.get(f"/college-requests/{req.id}").get_data(as_text=True)
    assert "Link to Already Here and approve" in page
    refused = client.post(f"/college-requests/{req.id}/approve", data=_approve_form(email_domain="here.edu"))
    assert refused.status_code == 409
    dbs.expire_all()
    assert dbs.get(CollegeRequest, req.id).status == "pending"
    assert audit_rows(dbs) == []
    linked = client.post(f"/college-requests/{req.id}/link", data={"college_id": str(existing.id)})
    assert linked.status_code == 303
    dbs.expire_all()
    req = dbs.get(CollegeRequest, req.id)
    assert (req.status, req.resolved_college_id) == ("approved", existing.id)
    (row,) = audit_rows(dbs, action="admin:approved:college-request")
    assert row.metadata_["linked"] is True


def test_link_to_a_college_with_another_domain_is_refused(client, dbs, login_as):
    login_as("admin")
    other = factories.CollegeFactory(email_domain="other.edu")
    req = factories.CollegeRequestFactory(email_domain="mine.edu")
    assert client.post(f"/college-requests/{req.id}/link",
                       data={"college_id": str(other.id)}).status_code == 400


def test_reject_needs_a_reason_and_only_pending_requests_change(client, dbs, login_as):
    login_as("admin")
    req = factories.CollegeRequestFactory()
    assert client.post(f"/college-requests/{req.id}/reject", data={}).status_code == 400
    response = client.post(f"/college-requests/{req.id}/reject", data={"reason_text": "not a college"})
    assert response.status_code == 303
    dbs.expire_all()
    assert dbs.get(CollegeRequest, req.id).status == "rejected"
    (row,) = audit_rows(dbs, action="admin:rejected:college-request")
    assert row.reason == "not a college"
    assert client.post(f"/college-requests/{req.id}/reject",
                       data={"reason_text": "again"}).status_code == 409


def test_queue_shows_pending_first_oldest_first(client, dbs, login_as):
    from datetime import timedelta

    from flick_admin.db.base import utcnow

    login_as("moderator")
    now = utcnow()
    factories.CollegeRequestFactory(name="Newer Pending", created_at=now - timedelta(days=1))
    factories.CollegeRequestFactory(name="Older Pending", created_at=now - timedelta(days=5))
    factories.CollegeRequestFactory(name="Done Long Ago", status="rejected", created_at=now - timedelta(days=30))
    pending = client.get("/college-requests/").get_data(as_text=True)
    assert pending.index("Older Pending") < pending.index("Newer Pending")
    assert "Done Long Ago" not in pending
    everything = client.get("/college-requests/", query_string={"status": "all"}).get_data(as_text=True)
    assert everything.index("Newer Pending") < everything.index("Done Long Ago")
