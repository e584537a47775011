"""Scenario schema: what a scenario file may say, with units, defaults and limits.

A scenario is data. These frozen pydantic models validate it once, at the door, and reject
unknown keys; they know nothing of the engine. Loading a file (YAML, line numbers, error
messages) lives in :mod:`sim.scenario.load`; expanding a layout into accounts lives in
:mod:`sim.scenario.layout`.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ACCOUNT_PARAMS",
    "CALIBRATED",
    "DRAWN",
    "EVENT_KINDS",
    "MAX_ACCOUNTS",
    "MAX_FACTOR",
    "MAX_LABEL",
    "MAX_PEOPLE",
    "MAX_POSTS_PER_DAY",
    "PLATFORM_TIES",
    "ROLES",
    "ROLE_DEFAULTS",
    "TIE_DEFAULTS",
    "AccountParams",
    "AccountSpec",
    "Amplification",
    "Audience",
    "Calibration",
    "Dynamics",
    "Event",
    "Import",
    "Matrix",
    "Outputs",
    "Scenario",
    "Social",
    "Variant",
    "parse_layout",
    "resolve_path",
    "scenario_schema",
]

Role = Literal["brand", "self_operated", "leader", "employee", "dealer"]
ROLES: tuple[str, ...] = ("brand", "self_operated", "leader", "employee", "dealer")
LAYOUT_ROLES: tuple[str, ...] = ("brand", "self_operated", "leader", "dealer", "employee")

# Fitted to the 100 real retweet cascades (validation/calibrate_cascades.py; the values of
# validation/results/cascades.json, docs/MODEL.md "Calibrated to real cascades").
FIT_SHARE_RATE = 2.51e-3  # reshare probability per viewer of a post
FIT_CONTENT_SIGMA = 0.967  # spread of the lognormal content factor
FIT_MAX_BRANCHING = 0.948  # a post's branching factor at most (the audience saturates)
FIT_THETA = 0.362  # exponent of the reaction-time kernel's power-law tail
FIT_FLAT_SECONDS = 646.0  # seconds the reaction-time kernel stays flat
FIT_PACE_SIGMA = 1.87  # spread of the lognormal pace factor of a post's reaction times
FIT_FRESHNESS_DAYS = 4.93  # e-folding time of a post's appeal: resharing falls as exp(-age / it)
FIT_RESHARER_FOLLOWERS = 550.0  # mean followers of a resharer, people (the real cascades)

# Built-in defaults per role. Units and sources: docs/MODEL.md, "Accounts".
ROLE_DEFAULTS: dict[str, dict[str, float]] = {
    "brand": dict(followers=2_000_000, posts_per_day=2.0, reach_rate=0.05, brand_share=1.0,
                  share_rate=FIT_SHARE_RATE, follow_rate=3e-3, churn_rate=5e-4, association=1.0,
                  overlap=1.0, monthly_cost=20_000),
    "self_operated": dict(followers=200_000, posts_per_day=1.0, reach_rate=0.05, brand_share=1.0,
                          share_rate=FIT_SHARE_RATE, follow_rate=5e-3, churn_rate=5e-4,
                          association=0.8, overlap=0.4, monthly_cost=5_000),
    "leader": dict(followers=333_536, posts_per_day=1.0, reach_rate=0.10, brand_share=0.6,
                   share_rate=2 * FIT_SHARE_RATE, follow_rate=6e-3, churn_rate=5e-4,
                   association=0.5, overlap=0.3, monthly_cost=10_000),
    "employee": dict(followers=2_000, posts_per_day=0.3, reach_rate=0.10, brand_share=0.3,
                     share_rate=2 * FIT_SHARE_RATE, follow_rate=3e-3, churn_rate=5e-4,
                     association=0.2, overlap=0.2, monthly_cost=500),
    "dealer": dict(followers=10_000, posts_per_day=1.0, reach_rate=0.20, brand_share=0.8,
                   share_rate=FIT_SHARE_RATE, follow_rate=3e-3, churn_rate=5e-4, association=0.3,
                   overlap=0.2, monthly_cost=1_000),
}

# Limits of the schema; each one's reason: docs/MODEL.md, "Limits".
MAX_ACCOUNTS = 1_000
"""Most accounts of a matrix: the account-to-account amplification weights are dense."""
MAX_PEOPLE = 10**10
"""Most real people an account's followers or an audience stand for: more than live on
Earth, and far from where sums of them stop being exact in floating point."""
MAX_POSTS_PER_DAY = 100.0
"""Highest mean posts per day of an account (the busiest accounts post a few dozen times)."""
MAX_FACTOR = 10.0
"""Highest posting-rate multiplier of a campaign or a crisis response."""
MAX_COST = 10**12
"""Highest monthly cost of one account, currency units per month."""
MAX_ID = 64
"""Longest account id, scenario or variant name, characters."""
MAX_LABEL = 100
"""Longest display label, characters (labels are drawn on charts)."""
MAX_AMPLIFICATION = 1_000
"""Most amplification edges of a scenario or variant (each may join two roles)."""
MAX_EVENTS = 100
"""Most events of a scenario (a scandal or crisis response holds a value per user)."""
MAX_VARIANTS = 100
"""Most layouts one comparison runs (each is a full run)."""

_ID = r"[A-Za-z0-9_.\-]+"
_LAYOUT = re.compile(r"^\s*(\d+)(\s*\+\s*\d+){3,4}\s*$")
EXPECTED_REF = "an account id or 'role:<role>' with <role> one of " + ", ".join(ROLES)
Id = Annotated[str, Field(pattern=f"^{_ID}$", max_length=MAX_ID)]


def _by_role(param: str) -> str:
    values = (ROLE_DEFAULTS[r][param] for r in ROLES)
    return "Default by role: " + "; ".join(
        f"{r} {v:,.0f}" if v >= 1000 else f"{r} {v:g}" for r, v in zip(ROLES, values)) + "."


def parse_layout(text: str) -> dict[str, int]:
    """Parse a ``1+X+K+N`` (or ``1+X+K+N+E``) layout into account counts per role.

    The terms are: brand, self-operated, leader (founder and executives, KOL), dealer or
    store, and optionally employee (KOC) accounts.

    Examples
    --------
    >>> parse_layout("1+5+3+20")
    {'brand': 1, 'self_operated': 5, 'leader': 3, 'dealer': 20, 'employee': 0}
    """
    if not isinstance(text, str) or not _LAYOUT.match(text):
        raise ValueError(
            "expected a layout '1+X+K+N' or '1+X+K+N+E' of whole numbers (brand + self-operated"
            f" + leader + dealer [+ employee]), such as '1+5+3+20'; found {_short(text)}"
        )
    terms = [t.strip().lstrip("0") or "0" for t in text.split("+")]
    huge = any(len(t) > 9 for t in terms)  # read no number that could not be an account count
    counts = [] if huge else [int(t) for t in terms]
    if huge or sum(counts) > MAX_ACCOUNTS:
        raise ValueError(f"expected at most {MAX_ACCOUNTS:,} accounts in all; found "
                         f"{_short(text)}" + ("" if huge else f" ({sum(counts):,} accounts)"))
    if counts[0] != 1:
        raise ValueError(f"expected exactly 1 brand account as the first term; found {text!r}")
    counts += [0] * (len(LAYOUT_ROLES) - len(counts))
    return dict(zip(LAYOUT_ROLES, counts))


def _short(value: Any) -> str:
    """A value for a message, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_ref(value: str) -> str:
    if value.startswith("role:"):
        if value[5:] not in ROLES:
            raise ValueError(f"expected {EXPECTED_REF}; found {_short(value)}")
    elif len(value) > MAX_ID or not re.fullmatch(_ID, value):
        raise ValueError(f"expected {EXPECTED_REF} (an id of at most {MAX_ID} characters); "
                         f"found {_short(value)}")
    return value


Ref = Annotated[str, AfterValidator(_check_ref), Field(description=f"{EXPECTED_REF}.")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class AccountParams(_Model):
    """Per-account parameters; unset ones come from the role's defaults."""

    followers: float | None = Field(
        None, ge=0, le=MAX_PEOPLE, description="Followers, real people. "
        + _by_role("followers"))
    posts_per_day: float | None = Field(
        None, ge=0, le=MAX_POSTS_PER_DAY, description="Mean posts per day (Poisson). "
        + _by_role("posts_per_day"))
    reach_rate: float | None = Field(
        None, ge=0, le=1, description="Share of followers who see a post (organic reach), "
        "probability per follower and post. " + _by_role("reach_rate"))
    brand_share: float | None = Field(
        None, ge=0, le=1, description="Share of the account's posts that carry the brand. "
        + _by_role("brand_share"))
    share_rate: float | None = Field(
        None, ge=0, le=1, description="Probability that a user who sees the account's posts "
        "on a day reshares them to their social ties, per viewer and day. "
        + _by_role("share_rate"))
    follow_rate: float | None = Field(
        None, ge=0, le=1, description="Probability that a user who sees the account's posts "
        "without following it starts following it, per viewer and day. "
        + _by_role("follow_rate"))
    churn_rate: float | None = Field(
        None, ge=0, le=1, description="Base probability that a follower unfollows, per day. "
        + _by_role("churn_rate"))
    association: float | None = Field(
        None, ge=0, le=1, description="How much of the account's reputation lands on the brand "
        "(0 none, 1 all). " + _by_role("association"))
    overlap: float | None = Field(
        None, ge=0, le=1, description="Share of the account's followers who also follow the "
        "brand account. " + _by_role("overlap"))
    monthly_cost: float | None = Field(
        None, ge=0, le=MAX_COST, description="Cost of running the account, currency units "
        "per month. " + _by_role("monthly_cost"))


ACCOUNT_PARAMS: tuple[str, ...] = tuple(AccountParams.model_fields)


class AccountSpec(AccountParams):
    """A named account: an id, a role and any parameter overrides."""

    id: Id = Field(description=f"Unique account id (letters, digits, _ . -; at most {MAX_ID} "
                   "characters).")
    role: Role = Field(description="Account role: " + ", ".join(ROLES) + ".")
    label: str | None = Field(None, max_length=MAX_LABEL, description="Display name, such as "
                              f"the account's handle (at most {MAX_LABEL} characters).")


class Matrix(_Model):
    """The account matrix: a layout string, role defaults, and named accounts."""

    layout: str | None = Field(
        None, description="Layout '1+X+K+N' or '1+X+K+N+E': 1 brand, X self-operated, K leader "
        "(founder and executives), N dealer or store and E employee accounts, each expanded "
        f"with its role's defaults, at most {MAX_ACCOUNTS:,} in all. Named accounts take the "
        "first slots of their role. Default: none (only the named accounts).")
    leader: Id | None = Field(
        None, description="Id of the account taken as the strongman. "
        "Default: none (a run takes the leader account with the largest attribution, or the "
        "non-brand account with the largest if there is no leader account).")
    roles: dict[Role, AccountParams] = Field(
        default_factory=dict, description="Overrides of the built-in defaults, per role.")
    accounts: list[AccountSpec] = Field(
        default_factory=list, description="Named accounts with overrides. The layout and the "
        f"named accounts together have at most {MAX_ACCOUNTS:,} accounts.")
    accounts_csv: str | None = Field(
        None, description="CSV of accounts (columns id, role, then any account parameter), "
        "relative to the scenario file; its rows are added to the named accounts.")

    @field_validator("layout")
    @classmethod
    def _layout(cls, value: str | None) -> str | None:
        if value is not None:
            parse_layout(value)
        return value


# Which ties a platform's audience has: follows are one-way (a reshare reaches the
# resharer's followers only), friendships mutual. docs/MODEL.md, "Social graph".
PLATFORM_TIES: dict[str, str] = {"weibo": "follows", "douyin": "follows", "x": "follows",
                                 "wechat": "friendships", "facebook": "friendships"}
# Generator defaults by kind of tie; follows after Kwak, Lee, Park and Moon (WWW 2010):
# 1.47 billion follows among 41.7 million Twitter users, follower counts p(k) ~ k^-2.276,
# 22.1 % of follows reciprocated. Friendships: assumptions (docs/MODEL.md).
TIE_DEFAULTS: dict[str, dict[str, float]] = {
    "follows": dict(mean_degree=35.2, degree_exponent=2.276, reciprocity=0.221),
    "friendships": dict(mean_degree=20.0, degree_exponent=2.5, reciprocity=1.0),
}


class Social(_Model):
    """Generator of the social graph among simulated users."""

    ties: Literal["follows", "friendships"] | None = Field(
        None, description="'follows' (one-way: a user sees the posts and reshares of the "
        "users it follows) or 'friendships' (mutual). Default: by audience.platform.")
    mean_degree: float | None = Field(
        None, gt=0, description="Mean ties per user (for follows: followers, which equal "
        "followees on average). Default 35.2 for follows (Kwak et al. 2010), 20 for "
        "friendships.")
    degree_exponent: float | None = Field(
        None, gt=2.0, le=5.0, description="Exponent of the power-law distribution of "
        "followers (of ties, for friendships) p(k) ~ k^-exponent. Default 2.276 for follows "
        "(Kwak et al. 2010), 2.5 for friendships.")
    followee_exponent: float = Field(
        3.0, gt=2.0, le=5.0, description="Follows only: exponent of the power-law "
        "distribution of followees (accounts a user follows). Default 3 (an assumption).")
    reciprocity: float | None = Field(
        None, ge=0, le=1, description="Follows only: share of follows that are returned. "
        "Default 0.221 (Kwak et al. 2010).")
    max_degree: int = Field(1000, ge=2, description="Largest expected ties (followers, "
                            "followees) of one user. Default 1000.")
    community_size: float = Field(
        1000.0, ge=2, description="Mean users per community. Default 1000.")
    mixing: float = Field(
        0.2, ge=0, le=1, description="Share of ties that cross communities. Default 0.2.")

    def setting(self, key: str, ties: str) -> float:
        """A generator setting: the scenario's, else the default for this kind of tie."""
        value = getattr(self, key)
        return TIE_DEFAULTS[ties][key] if value is None else value


class Import(_Model):
    """Real data to import instead of generating, paths relative to the scenario file."""

    graph: str | None = Field(
        None, description="Social graph: a CSV or whitespace edge list (.csv, .txt, .edgelist) "
        "or a file networkx reads (.graphml, .gexf, .gml). A graph written by "
        "'riskmodel world --export' also brings its follower sets. Default: none.")
    followers: str | None = Field(
        None, description="Follower edge list, CSV with columns user, account. Default: none.")


class Audience(_Model):
    """The simulated audience: users, the people each stands for, and their ties."""

    users: int = Field(100_000, ge=10, description="Simulated users. Default 100,000. With "
                       "an imported graph its users are the audience: leave users out.")
    scale: float | None = Field(
        None, gt=0, le=MAX_PEOPLE, description="Real people per simulated user (users x scale "
        f"at most {MAX_PEOPLE:,} people). Default: chosen so that the "
        "accounts' followers take follower_share of the simulated users.")
    follower_share: float = Field(
        0.5, gt=0, le=1, description="With scale unset: share of simulated users who follow "
        "at least one account; the rest are reached only through social ties. Default 0.5.")
    platform: Literal["weibo", "douyin", "x", "wechat", "facebook"] = Field(
        "weibo", description="The platform the audience is on, which sets the default kind "
        "of social tie: follows on weibo, douyin and x; friendships on wechat and facebook. "
        "Default weibo.")
    social: Social = Field(default_factory=Social, description="Social graph generator.")
    import_: Import | None = Field(
        None, alias="import", description="Real data to import. Default: none.")

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)

    @property
    def ties(self) -> str:
        """'follows' or 'friendships': the scenario's, else the platform's."""
        return self.social.ties or PLATFORM_TIES[self.platform]


class Amplification(_Model):
    """A directed account-influence edge: target passes source's posts to its followers."""

    source: Ref
    target: Ref
    weight: Probability = Field(
        description="Probability that the target passes a post of the source on to its own "
        "followers, per post.")


class _Event(_Model):
    target: Ref
    day: int = Field(ge=0, description="Day the event starts (0 is the first day).")
    note: str = Field("", description="Free text shown in reports.")


class Exit(_Event):
    """The account leaves: it stops carrying the brand and its amplification ends."""

    kind: Literal["exit"] = Field(description="Event kind.")
    unfollow_share: Probability = Field(
        0.2, description="Share of the account's followers who also unfollow the brand's other "
        "accounts. Default 0.2.")


class Scandal(_Event):
    """A controversial post spreads; exposed users lose trust in the brand."""

    kind: Literal["scandal"] = Field(description="Event kind.")
    severity: Probability = Field(
        0.5, description="Trust lost by an exposed user when the account's association is 1. "
        "Default 0.5.")
    virality: float = Field(5.0, ge=1, description="Multiplier of the share rate of the "
                            "scandal's posts. Default 5.")
    duration_days: int = Field(7, ge=1, description="Days the scandal keeps spreading. "
                               "Default 7.")
    trust_half_life_days: float = Field(
        60.0, gt=0, description="Half-life of the trust loss, days. Default 60.")


class Inactive(_Event):
    """The account posts less (or not at all) from a day on."""

    kind: Literal["inactive"] = Field(description="Event kind.")
    factor: float = Field(0.0, ge=0, le=1, description="Multiplier of the posting rate. "
                          "Default 0 (silent).")
    duration_days: int | None = Field(None, ge=1, description="Days the account stays "
                                      "inactive. Default: to the horizon.")


class Ban(_Event):
    """The platform removes the account: no posts, no reach, no amplification."""

    kind: Literal["ban"] = Field(description="Event kind.")


class Succession(_Event):
    """A new leader account (the target) ramps up its posting and takes over fans."""

    kind: Literal["succession"] = Field(description="Event kind.")
    predecessor: Id | None = Field(
        None, description="Account whose fans are offered the successor (not the successor "
        "itself). Default: the matrix's leader.")
    ramp_days: int = Field(90, ge=1, description="Days to reach the full posting rate. "
                           "Default 90.")
    follower_transfer: Probability = Field(
        0.3, description="Share of the predecessor's followers who follow the successor. "
        "Default 0.3.")


class Campaign(_Event):
    """A posting surge over a window."""

    kind: Literal["campaign"] = Field(description="Event kind.")
    factor: float = Field(3.0, ge=1, le=MAX_FACTOR, description="Multiplier of the posting "
                          "rate. Default 3.")
    duration_days: int = Field(14, ge=1, description="Days of the surge. Default 14.")


class CrisisResponse(_Event):
    """Employee (or other) accounts speak up during a scandal and soften the trust loss."""

    kind: Literal["crisis_response"] = Field(description="Event kind.")
    target: Ref = "role:employee"
    factor: float = Field(2.0, ge=1, le=MAX_FACTOR, description="Multiplier of the "
                          "responders' posting rate. Default 2.")
    trust_protection: Probability = Field(
        0.5, description="Share of the trust loss avoided by users who saw a response. "
        "Default 0.5.")
    duration_days: int = Field(14, ge=1, description="Days of the response. Default 14.")


Event = Annotated[
    Exit | Scandal | Inactive | Ban | Succession | Campaign | CrisisResponse,
    Field(discriminator="kind"),
]
EVENT_KINDS: tuple[str, ...] = tuple(
    typing.get_args(m.model_fields["kind"].annotation)[0]
    for m in typing.get_args(typing.get_args(Event)[0]))


class Dynamics(_Model):
    """How posting, feeds, resharing and the audience behave from day to day."""

    posting: Literal["poisson", "regular"] = Field(
        "poisson", description="How an account's daily posts are drawn: 'poisson' (a Poisson "
        "number with the account's mean) or 'regular' (the mean's whole part every day, plus "
        "one more with probability its fraction). Default poisson.")
    tie_view: Probability = Field(
        0.1, description="Probability that a follower (social tie) of a resharing person sees "
        "the reshare. Default 0.1.")
    content_sigma: float = Field(
        FIT_CONTENT_SIGMA, ge=0, le=5, description="Spread (sigma) of the lognormal factor of "
        "mean 1 that scales the reshare probability of each account's brand posts of a day. "
        f"Default {FIT_CONTENT_SIGMA:g} (fitted to real cascades).")
    scandal_content_sigma: float = Field(
        FIT_CONTENT_SIGMA, ge=0, le=5, description="The same for a scandal's posts, which "
        f"draw their own factor. Default {FIT_CONTENT_SIGMA:g}.")
    max_branching: float = Field(
        FIT_MAX_BRANCHING, gt=0, le=1, description="Largest branching factor of a post "
        "(resharers per resharer): the content factor is capped there, as an audience "
        f"saturates. Default {FIT_MAX_BRANCHING:g} (fitted).")
    resharer_followers: float = Field(
        FIT_RESHARER_FOLLOWERS, gt=0, le=MAX_PEOPLE, description="Mean followers of a "
        "resharing person, people; on a world where one simulated user stands for many "
        "people it sets how far a reshare goes. Default "
        f"{FIT_RESHARER_FOLLOWERS:g} (the real cascades).")
    reaction_theta: float = Field(
        FIT_THETA, gt=0, le=5, description="Exponent theta of the power-law tail of the "
        "reaction-time kernel (time from seeing a post to resharing it). Default "
        f"{FIT_THETA:g} (fitted; SEISMIC's population value is 0.242).")
    reaction_flat_seconds: float = Field(
        FIT_FLAT_SECONDS, gt=0, le=86_400, description="Seconds the reaction-time kernel "
        f"stays flat before its power-law decay. Default {FIT_FLAT_SECONDS:g} (fitted; "
        "SEISMIC's is 300).")
    pace_sigma: float = Field(
        FIT_PACE_SIGMA, ge=0, le=5, description="Spread (sigma) of the lognormal factor of "
        "median 1 that stretches the reaction times of each account's posts of a day (some "
        f"travel fast, some slowly). Default {FIT_PACE_SIGMA:g} (fitted).")
    freshness_days: float = Field(
        FIT_FRESHNESS_DAYS, gt=0, le=365, description="How fast a post goes stale: a viewer "
        "who sees it a time 'age' after it was posted reshares it with exp(-age / "
        f"freshness_days) of the rate, days. Default {FIT_FRESHNESS_DAYS:g} (fitted).")
    carry_days: int = Field(
        7, ge=1, le=12, description="Days a post's cascade runs: views later than this after "
        "the post are dropped. Default 7 (the real cascades' window).")
    discovery_rate: float = Field(
        30.0, ge=0, le=10_000, description="People a recommendation feed shows a post to, "
        "among all users, per person who reshares it. Default 30 (an assumption, set so "
        "that a baseline's followers stay within observed growth ranges).")
    visibility_half_life_days: float = Field(
        30.0, gt=0, description="Half-life of an account's feed visibility while it posts "
        "nothing, days. Default 30.")
    visibility_recovery: Probability = Field(
        0.5, description="Share of the lost visibility an account regains on a day it posts. "
        "Default 0.5.")
    silent_churn_multiplier: float = Field(
        3.0, ge=1, description="Churn multiplier of an account whose visibility has fallen to "
        "0 (linear in lost visibility). Default 3.")
    distrust_churn_multiplier: float = Field(
        10.0, ge=1, description="Churn multiplier of a follower whose trust in the brand has "
        "fallen to 0 (linear in lost trust). Default 10.")


ObservedColumn = Literal["date", "account", "followers", "posts", "views", "reposts",
                         "comments", "likes"]
CALIBRATED = ("reach_rate", "share_rate", "follow_rate")
"""The account parameters ``riskmodel calibrate`` fits by simulation (docs/MODEL.md,
"Calibration"); ``posts_per_day`` it reads off the posts directly."""
DRAWN = (*CALIBRATED, "posts_per_day")
"""The account parameters a calibrated scenario's replications draw from its samples."""


class Calibration(_Model):
    """A company's observed data, for ``riskmodel calibrate``; and in a calibrated scenario
    the parameter samples its runs draw from."""

    data: str | None = Field(
        None, description="CSV of observed account-days or posts (date, account, followers, "
        "posts, views, reposts; English or Chinese headers), relative to the scenario's "
        "folder; 'riskmodel calibrate --data' overrides it.")
    follower_sample: str | None = Field(
        None, description="CSV of (user, account) rows: who was seen following which "
        "account; overlaps between accounts are estimated from it.")
    columns: dict[ObservedColumn, str] = Field(
        default_factory=dict, description="The data's header for each of riskmodel's "
        "columns where it is not a known one, such as {views: Impressions}.")
    samples: str | None = Field(
        None, description="CSV of parameter samples written by 'riskmodel calibrate' (one row "
        "per draw; columns account.parameter), relative to the scenario's folder.")
    draw_parameters: bool = Field(
        True, description="With samples: each replication takes its accounts' parameters "
        "from one sample (replication r from row r), so that intervals include what the data "
        "leaves unknown. Default true.")


class Outputs(_Model):
    """What a run writes."""

    dir: str | None = Field(None, description="Output folder. Default: outputs/<name>.")
    charts: list[Literal["png", "svg"]] = Field(
        default_factory=lambda: ["png", "svg"], description="Chart formats. Default png, svg.")
    report: bool = Field(True, description="Write the HTML report. Default true.")
    driver_replications: int = Field(
        1, ge=0, le=1000, description="Replications of each run `riskmodel run` makes to "
        "find what drives the headline: the strongman's inputs one at a time at 2/3 and 1.5 "
        "times their value, on the same world (common random numbers make one enough to rank "
        "them); 0: none. Only for scenarios with events. Default 1.")
    lang: Literal["en", "zh"] = Field(
        "en", description="Language of the report, the charts and the printed headline: en "
        "(English) or zh (Chinese). Default en.")
    threshold: float = Field(
        0.9, gt=0, lt=1, description="Share of baseline reach a scenario counts as recovered "
        "at, and below which a replication counts as having fallen. Default 0.9.")
    smoothing_days: int = Field(
        7, ge=1, description="Window of the trailing moving average applied to daily reach "
        "before the loss's onset and recovery are read, days. Default 7.")
    mitigation_replications: int = Field(
        6, ge=0, le=1000, description="Replications of each mitigation lever `riskmodel run` "
        "runs on the same world (the founder passing traffic to the executives; executives "
        "or employees posting twice as often), against the same replications of doing "
        "nothing; 0: none. Only for scenarios with events and a leader. Default 6.")


class Variant(_Model):
    """A layout to compare: its own matrix and amplification on the scenario's audience and
    events (``riskmodel compare``)."""

    name: Id = Field(description="Variant name, unique among the variants; labels it in "
                     "tables and charts.")
    description: str = Field("", description="What the layout stands for.")
    matrix: Matrix | None = Field(
        None, description="Changes to the scenario's matrix, merged key by key (a list, such "
        "as accounts, replaces the scenario's). Default: the scenario's matrix.")
    amplification: list[Amplification] | None = Field(
        None, max_length=MAX_AMPLIFICATION, description="Account-influence edges of this "
        "layout, replacing the scenario's. Default: the scenario's.")


Normalize = Literal["none", "cost", "posts"]


class Scenario(_Model):
    """A scenario file: the matrix, its audience, and the events to simulate."""

    name: Id = Field(description="Scenario name, used for the output folder. Default: the "
                     "file's name without suffix.")
    description: str = Field("", description="What question the scenario answers.")
    seed: int = Field(0, ge=0, description="Root random seed. Default 0.")
    horizon_days: int = Field(365, ge=1, le=36_500, description="Simulated days. Default 365.")
    replications: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        100, description="Monte Carlo replications, or 'auto': add replications in batches "
        "of 10 until the 95% half-width of the mean SDI, leader share and cumulative loss "
        "(as shares) is at most `precision`, or `max_replications` is reached. Default 100.")
    precision: float = Field(
        0.01, gt=0, lt=1, description="With replications 'auto': target 95% half-width of "
        "the headline shares' means (0.01 = +-1 percentage point). Default 0.01.")
    max_replications: int = Field(
        1000, ge=2, description="With replications 'auto': the most replications to run. "
        "Default 1000.")
    audience: Audience = Field(default_factory=Audience, description="Simulated audience.")
    matrix: Matrix = Field(default_factory=Matrix, description="The account matrix.")
    amplification: list[Amplification] = Field(
        default_factory=list, max_length=MAX_AMPLIFICATION,
        description="Account-influence edges.")
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS,
                                description="Scenario events.")
    dynamics: Dynamics = Field(default_factory=Dynamics, description="Day-to-day behaviour.")
    calibration: Calibration = Field(default_factory=Calibration, description="Observed "
                                     "data and parameter samples (riskmodel calibrate).")
    outputs: Outputs = Field(default_factory=Outputs, description="What a run writes.")
    variants: list[Variant] = Field(
        default_factory=list, max_length=MAX_VARIANTS, description="Layouts that "
        "'riskmodel compare' runs on this "
        "scenario's audience and events; 'riskmodel run' ignores them. Default: none.")
    normalize: Normalize = Field(
        "none", description="How 'riskmodel compare' holds variants to the first one's "
        "footing: 'cost' (same monthly cost) or 'posts' (same posts per day) by scaling "
        "every account's posting rate, with its cost in proportion; 'none' as written. "
        "Default none.")

    @field_validator("name")
    @classmethod
    def _name_names_a_folder(cls, value: str) -> str:
        if set(value) == {"."}:  # '.' and '..' would be the outputs folder or its parent
            raise ValueError("expected a name for the output folder outputs/<name> (letters, "
                             f"digits, _ . -), not dots alone; found {value!r}")
        return value

    @field_validator("variants")
    @classmethod
    def _unique_variants(cls, value: list[Variant]) -> list[Variant]:
        names = [v.name for v in value]
        again = sorted({n for n in names if names.count(n) > 1})
        if again:
            raise ValueError(f"expected unique variant names; found {', '.join(again)} again")
        return value

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"expected a mapping of scenario keys; found {type(data).__name__}")
        return data

    def to_yaml_dict(self) -> dict[str, Any]:
        """The scenario as plain data, the way a file would say it (account ids first; no
        ``audience.users`` with an imported graph, whose users are the audience)."""
        data = self.model_dump(mode="json", by_alias=True)
        if (data["audience"]["import"] or {}).get("graph"):
            del data["audience"]["users"]  # the imported graph's users are the audience
        data["matrix"]["accounts"] = [
            {"id": a.pop("id"), "role": a.pop("role"), **a} for a in data["matrix"]["accounts"]]
        return data


def resolve_path(path: str, base_dir: Path) -> Path:
    """A path from a scenario, taken relative to the scenario file's folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else base_dir / p


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file (``name`` may be left out: it defaults to the file's)."""
    schema = Scenario.model_json_schema(by_alias=True)
    schema["required"] = [k for k in schema.get("required", []) if k != "name"]
    if not schema["required"]:
        del schema["required"]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "riskmodel scenario"
    return schema
