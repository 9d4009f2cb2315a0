"""Every factory builds a row the database accepts, so tests can lean on them."""

import pytest

from tests import factories

ALL = [
    factories.CollegeFactory, factories.BranchFactory, factories.CollegeBranchFactory,
    factories.CollegeRequestFactory, factories.AuthFactory, factories.AccountFactory,
    factories.StaffFactory, factories.StudentFactory, factories.PostFactory,
    factories.CommentFactory, factories.ReportFactory, factories.FeedbackFactory,
    factories.BannedWordFactory, factories.VoteFactory, factories.BookmarkFactory,
    factories.NotificationFactory, factories.UserBlockFactory, factories.SessionFactory,
    factories.TwoFactorFactory, factories.VerificationFactory, factories.LogFactory,
    factories.RemovalReasonFactory,
]


@pytest.mark.parametrize("factory_class", ALL, ids=lambda f: f.__name__)
def test_factory_persists_a_row(dbs, factory_class):
    obj = factory_class()
    dbs.expire_all()
    model = factory_class._meta.model
    assert dbs.get(model, obj.id) is not None


def test_traits_set_states(dbs):
    assert factories.PostFactory(banned=True).is_banned is True
    assert factories.PostFactory(shadow_banned=True).is_shadow_banned is True
    report = factories.ReportFactory(on_comment=True)
    assert report.type == "Comment" and report.comment_id and report.post_id is None
    assert factories.AuthFactory(suspended=True).ban_in_force()
    assert not factories.AuthFactory(ban_expired=True).ban_in_force()
