"""The mutable state of one replication and its vectorized day step.

The day step works on arrays only: every account's posts of the day, their exposure,
amplification and reshare cascades run together (:func:`sim.kernel.compiled.timed_cascade`); a
cascade runs to its end on the day of its post, and the views it brings on later days wait
in ``pending`` for their day.
Events (:mod:`sim.engine.events`) change pieces of this state at their days. Mechanisms and
equations: docs/MODEL.md, "Engine".
"""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from sim.kernel.compiled import (
    cascade_marks,
    gather,
    insert_sorted,
    merge_unique,
    merged_at,
    splice,
    tally,
    tally_marks,
    timed_cascade,
)
from sim.kernel.csr import sorted_unique
from sim.kernel.diffusion import contains
from sim.kernel.streams import Streams, bernoulli_select, poisson_cdf, poisson_counts
from sim.kernel.virality import content_factors
from sim.scenario.schema import ROLES, Scenario
from sim.world.model import World

__all__ = ["AccountDays", "ResponseState", "ScandalState", "State", "Trace"]

_RUN_STREAM = 1  # spawn-key prefix of the replications' streams (the world's is 0)
_POSTS, _DAY = 0, 1
DAY = 86_400.0  # seconds
# the rows of each account's daily uniforms
_BRAND_POSTS, _OTHER_POSTS, _BRAND_CONTENT, _SCANDAL_CONTENT, _POST_TIME, _BRAND_PACE, \
    _SCANDAL_PACE = range(7)
CDF_TABLES = 16  # Poisson tables kept per replication (a succession's ramp makes one a day)


@dataclass(frozen=True)
class Trace:
    """What one replication of one variant recorded, in simulated users.

    ``reach[t]``: users who saw a brand post on day t; ``impressions[t]``: (account, user)
    pairs of such views; ``scandal_reach[t]``: users who saw a scandal's post on day t;
    ``trust[t]``: mean trust in the brand; ``followers[t, r]``: follows of role r's
    accounts; ``shapley`` and ``exclusive``: each account's reach summed over days (Shapley
    share of each reached user, and users no other account reached); ``account_followers``:
    each account's followers on the last day; ``coverage``: which sets of accounts reached
    users, as bit masks (bit a for account a) and the user-days each set reached, so that
    the reach of any coalition under the coverage game is a lookup (empty beyond 64
    accounts); ``accounts``: each account's day by day, when the run recorded it.
    """

    reach: np.ndarray
    impressions: np.ndarray
    scandal_reach: np.ndarray
    trust: np.ndarray
    followers: np.ndarray
    shapley: np.ndarray
    exclusive: np.ndarray
    account_followers: np.ndarray
    coverage: tuple[np.ndarray, np.ndarray]
    accounts: AccountDays | None = None


@dataclass(frozen=True)
class AccountDays:
    """Each account's day by day, as a platform's analytics export reports it, in simulated
    users; arrays of shape (days, accounts).

    ``posts``: posts of the day; ``views``: users who saw one of its brand posts that day
    (directly, passed on by another account, reshared or in a feed); ``reposts``: people who
    reshared its posts of that day, whenever they did; ``followers``: its followers at the
    end of the day.
    """

    posts: np.ndarray
    views: np.ndarray
    reposts: np.ndarray
    followers: np.ndarray


def _stream(seed: int, replication: int, account_id: str, purpose: int
            ) -> np.random.SeedSequence:
    """The account's own stream in this replication (keyed by its id: removing another
    account changes nothing here)."""
    key = (_RUN_STREAM, replication, zlib.crc32(account_id.encode()), purpose)
    return np.random.SeedSequence(seed, spawn_key=key)


@dataclass
class ScandalState:
    """A scandal under way: its accounts, window, and each user's trust loss."""

    targets: np.ndarray
    start: int
    end: int
    severity: float
    virality: float
    half_life: float
    deficit: np.ndarray  # per user, trust lost, referred to the start day

    def decay(self, day: int) -> float:
        """Share of a loss referred to the start day that is left on ``day``."""
        return 0.5 ** ((day - self.start) / self.half_life)


@dataclass
class ResponseState:
    """A crisis response under way: its accounts, window, and who it reached."""

    targets: np.ndarray
    start: int
    end: int
    protection: float
    reached: np.ndarray


class State:
    """The mutable state of one replication and the day step over it."""

    def __init__(self, world: World, scenario: Scenario, replication: int,
                 record_accounts: bool = False):
        accounts = world.accounts
        self.world, self.dyn = world, scenario.dynamics
        self.n, self.A, self.H = world.n_users, len(accounts), scenario.horizon_days
        self.param = {k: np.array([getattr(a, k) for a in accounts], dtype=float)
                      for k in ("posts_per_day", "brand_share", "reach_rate", "share_rate",
                                "follow_rate", "churn_rate", "association")}
        for k, draws in (world.draws or {}).items():  # this replication's calibrated values
            row = draws[replication % len(draws)]
            self.param[k] = np.where(np.isfinite(row), row, self.param[k])
        self.role = np.array([ROLES.index(a.role) for a in accounts])
        self.post_u = np.array([np.random.default_rng(_stream(scenario.seed, replication, a.id,
                                                              _POSTS)).random((7, self.H))
                                for a in accounts])  # (A, 7, H)
        self.streams = Streams([_stream(scenario.seed, replication, a.id, _DAY)
                                .generate_state(1, np.uint64)[0] for a in accounts])
        self.owner = np.concatenate([np.arange(self.A), np.arange(self.A)])
        self.edges = np.arange(self.A + 1) * self.n  # first key of each account's follows
        f = world.followers
        self.follows = (f.row_ids().astype(np.int64) * self.n + f.indices).astype(np.int64)
        self.amp = world.amplification.copy()
        self.visibility = np.ones(self.A)
        self.brand_on = np.ones(self.A, dtype=bool)
        self.removed = np.zeros(self.A, dtype=bool)
        self.dormant = np.zeros(self.A, dtype=bool)
        self.factors: list[tuple[np.ndarray, float]] = []
        self.scandals: list[ScandalState] = []
        self.responses: list[ResponseState] = []
        self.protection: np.ndarray | None = None  # per user: share of a trust loss kept
        self.day = 0
        self.pending: dict[int, list[np.ndarray]] = {}  # day: keys of views coming then
        ties = world.social.nnz / self.n * world.scale  # people following a simulated user
        self.tie_p = self.dyn.tie_view * (1.0 if world.scale <= 1 or not ties else min(
            1.0, self.dyn.resharer_followers / ties))
        self._seen = cascade_marks(self.n)  # the cascade loop's work array
        self._cdf: dict[bytes, np.ndarray] = {}
        self._marks = tally_marks(self.n)  # the reach tally's work array, kept at zero
        self._overlaps: list[np.ndarray] = []  # per day, masks of users reached by several
        self.reach = np.zeros(self.H, dtype=np.int64)
        self.scandal_reach = np.zeros(self.H, dtype=np.int64)
        self.impressions = np.zeros(self.H, dtype=np.int64)
        self.mean_trust = np.ones(self.H)
        self.role_follows = np.zeros((self.H, len(ROLES)))
        self.shapley = np.zeros(self.A)
        self.exclusive = np.zeros(self.A)
        self.days = {k: np.zeros((self.H, self.A)) for k in AccountDays.__dataclass_fields__
                     } if record_accounts else None

    # --- state changes made by events -------------------------------------------------
    def rate_factor(self) -> np.ndarray:
        factor = np.where(self.dormant | self.removed, 0.0, 1.0)
        for idx, f in self.factors:
            factor[idx] *= f
        return factor

    def stop_brand(self, idx: np.ndarray) -> None:
        """The accounts no longer carry the brand nor pass posts on, nor get passed on."""
        self.brand_on[idx] = False
        self.amp[idx, :] = 0
        self.amp[:, idx] = 0

    def remove(self, idx: np.ndarray) -> None:
        """The accounts are gone: no posts, no followers, no amplification."""
        self.stop_brand(idx)
        self.removed[idx] = True
        self.follows = self.follows[~np.isin(self.follows // self.n, idx)]

    def segment(self, a: int) -> tuple[int, int]:
        lo, hi = np.searchsorted(self.follows, [a * self.n, (a + 1) * self.n])
        return int(lo), int(hi)

    def followers_of(self, a: int) -> np.ndarray:
        lo, hi = self.segment(a)
        return self.follows[lo:hi] - a * self.n

    def sample_followers(self, a: int, share: float, owner: int) -> np.ndarray:
        """Each follower of ``a`` independently with probability ``share``."""
        users = self.followers_of(a)
        _, pos = bernoulli_select(self.streams, np.array([owner]), np.array([len(users)]),
                                  np.array([share]))
        return users[pos]

    def unfollow_all_but(self, a: int, users: np.ndarray) -> None:
        """``users`` unfollow every account except ``a``."""
        users = np.sort(users)
        drop = contains(users, self.follows % self.n) & (self.follows // self.n != a)
        self.follows = self.follows[~drop]

    def follow(self, keys: np.ndarray) -> None:
        """Add follows (keys ``account * n + user``, in a few sorted runs); existing ones
        stay as they are."""
        keys = sorted_unique(keys, runs=True)
        keys = keys[~contains(self.follows, keys)]
        self.follows = insert_sorted(self.follows, keys)

    def trust_of(self, users: np.ndarray, day: int) -> np.ndarray:
        loss = np.zeros(len(users))
        for s in self.scandals:
            loss += s.deficit[users] * s.decay(day)
        return np.clip(1.0 - loss, 0.0, 1.0)

    # --- the day ----------------------------------------------------------------------
    def step(self, t: int) -> None:
        self.day = t
        factor = self.rate_factor()
        rate = self.param["posts_per_day"] * factor
        beta = self.param["brand_share"] * self.brand_on
        brand_posts = self.posts(rate * beta, self.post_u[:, 0, t])
        other_posts = self.posts(rate * (1 - beta), self.post_u[:, 1, t])
        seen, reposts = self.expose(t, brand_posts, np.minimum(factor, 1.0))
        bounds = np.searchsorted(seen, self.edges)  # each account's views; scandals' after
        brand = seen[:bounds[-1]]
        self.measure(t, brand, bounds)
        self.scandal_reach[t] = len(sorted_unique(seen[bounds[-1]:] % self.n))
        gained = self.gained_followers(brand, bounds)
        self.respond(t, brand)
        self.lose_trust(t, seen[bounds[-1]:])
        trust = self.trust_of(np.arange(self.n), t) if self.scandals else None
        self.churn(trust, gained)
        posted = brand_posts + other_posts > 0
        v = self.visibility
        self.visibility = np.where(posted, v + self.dyn.visibility_recovery * (1 - v),
                                   v * 0.5 ** (1 / self.dyn.visibility_half_life_days))
        counts = np.diff(np.searchsorted(self.follows, self.edges))
        self.role_follows[t] = np.bincount(self.role, weights=counts, minlength=len(ROLES))
        if trust is not None:
            self.mean_trust[t] = trust.mean()
        if self.days is not None:
            for name, values in (("posts", brand_posts + other_posts), ("reposts", reposts),
                                 ("views", np.diff(bounds)),
                                 ("followers", counts)):
                self.days[name][t] = values

    def posts(self, mean: np.ndarray, u: np.ndarray) -> np.ndarray:
        """The day's posts per account, from its own uniform (inverse CDF)."""
        if self.dyn.posting == "regular":
            whole = np.floor(mean)
            return (whole + (u < mean - whole)).astype(np.int64)
        key = mean.tobytes()  # rates change only at events: keep their latest tables
        if key not in self._cdf:
            if len(self._cdf) == CDF_TABLES:
                del self._cdf[next(iter(self._cdf))]
            self._cdf[key] = poisson_cdf(mean)
        return poisson_counts(mean, u, self._cdf[key])

    def expose(self, t: int, brand_posts: np.ndarray, activity: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Keys ``content * n + user`` of everyone who saw the day's content: brand posts
        (content = account) and scandal posts (content = A + account); and the people who
        reshared each account's brand posts of the day. An account passes posts on in
        proportion to its activity (its posting-rate factor, at most 1)."""
        q = self.param["reach_rate"] * self.visibility
        content, audience, chance = [], [], []
        authors = np.flatnonzero(brand_posts)
        content.append(authors)
        audience.append(authors)
        chance.append(1 - (1 - q[authors]) ** brand_posts[authors])
        src, dst = np.nonzero(self.amp[authors])
        if len(src):
            src = authors[src]
            u = self.streams.uniforms(src, brand_posts[src])
            weight = self.amp[src, dst] * activity[dst]
            hits = np.add.reduceat(u < np.repeat(weight, brand_posts[src]),
                                   np.cumsum(brand_posts[src]) - brand_posts[src])
            on = hits > 0
            content.append(src[on])
            audience.append(dst[on])
            chance.append(1 - (1 - q[dst[on]]) ** hits[on])
        scandal_targets = self.scandal_targets(t)
        content.append(self.A + scandal_targets)
        audience.append(scandal_targets)
        chance.append(q[scandal_targets])
        content, audience, chance = map(np.concatenate, (content, audience, chance))
        bounds = np.searchsorted(self.follows, self.edges)
        seg, pos = bernoulli_select(self.streams, self.owner[content],
                                    np.diff(bounds)[audience], chance)
        keys = gather(self.follows, bounds[audience], (content - audience) * self.n, seg, pos)
        first = sorted_unique(keys, runs=True)  # sorted runs: one per segment
        posted = np.tile(self.post_u[:, _POST_TIME, t], 2) * DAY  # seconds into the day
        settings = self.resharing(t, posted)
        rate, scale = settings[0], self.world.scale
        bounds = np.searchsorted(first, np.arange(len(rate) + 1) * self.n)
        rs, rp = bernoulli_select(self.streams, np.arange(len(rate)) % self.A, np.diff(bounds),
                                  np.minimum(1.0, scale * rate))
        keys = first[bounds[rs] + rp]
        reached, when, shown, shown_when, shares = timed_cascade(
            self.world.social.indptr, self.world.social.indices, self.n, first, keys,
            posted[keys // self.n], *settings, self._state(), self._seen)
        return self.today(t, first, np.concatenate([reached, shown]),
                          np.concatenate([when, shown_when])), shares[:self.A]

    def _state(self) -> np.ndarray:
        """The day's SplitMix64 seeds of the cascade loop, one per content, from the
        content's account stream (so variants draw alike while they stay alike)."""
        u = self.streams.uniforms(self.owner, np.ones(2 * self.A, dtype=np.int64))
        return (u * 2.0**53).astype(np.uint64)

    def today(self, t: int, first: np.ndarray, keys: np.ndarray, when: np.ndarray
              ) -> np.ndarray:
        """The day's views: the first viewers of its own posts, the views their cascades
        bring before midnight, and those of earlier days' cascades that reach this day; the
        later ones wait for theirs."""
        day = (when / DAY).astype(np.int64)  # whole days after today's start: times >= 0
        now = day == 0
        for later in np.unique(day[~now]):  # a few days at most (carry_days)
            self.pending.setdefault(t + int(later), []).append(keys[day == later])
        extra = np.sort(np.concatenate([keys[now], *self.pending.pop(t, [])]))
        return merge_unique(first, extra)

    def scandal_targets(self, t: int) -> np.ndarray:
        live = [s.targets for s in self.scandals if s.start <= t < s.end]
        targets = np.unique(np.concatenate(live)) if live else np.empty(0, dtype=np.int64)
        return targets[~self.removed[targets]]

    def resharing(self, t: int, posted: np.ndarray) -> tuple:
        """The cascade loop's settings for the day's content: who reshares, how far and
        when. Brand posts reshare at their account's share rate times their content
        factor, times the viewer's trust; a scandal's posts at the share rate times the
        scandal's virality times their own content factor, whatever the trust; both capped
        where a post's branching factor reaches ``max_branching`` and going stale with the
        time since the post (``freshness_days``)."""
        dyn = self.dyn
        virality = np.ones(self.A)
        for s in self.scandals:
            virality[s.targets] = np.maximum(virality[s.targets], s.virality)
        u = self.post_u[:, (_BRAND_CONTENT, _SCANDAL_CONTENT), t]
        factor = np.concatenate([content_factors(u[:, 0], dyn.content_sigma),
                                 content_factors(u[:, 1], dyn.scandal_content_sigma) * virality])
        reach = dyn.tie_view * dyn.resharer_followers  # people a resharing person reaches
        cap = dyn.max_branching / reach if reach else np.inf
        rate = np.minimum(np.tile(self.param["share_rate"], 2) * factor, cap)
        pace = np.exp(dyn.pace_sigma * ndtri(self.post_u[:, (_BRAND_PACE, _SCANDAL_PACE), t]))
        scandal = np.arange(2 * self.A) >= self.A
        trust = self.trust_of(np.arange(self.n), t) if self.scandals else np.empty(0)
        return (rate, pace.T.ravel(), posted, dyn.freshness_days * DAY, scandal, trust,
                self.world.scale, self.tie_p, dyn.discovery_rate, dyn.reaction_theta,
                dyn.reaction_flat_seconds, dyn.carry_days * DAY)

    def measure(self, t: int, brand: np.ndarray, bounds: np.ndarray) -> None:
        """Reach, and each reached user's unit split equally among the accounts that
        reached them (the Shapley value of the coverage game); ``bounds[a]``: where account
        a's views start in ``brand``."""
        with_masks = self.A <= 64
        self.reach[t], shapley, exclusive, masks = tally(
            brand, bounds, self.n, self._marks, with_masks)
        self.impressions[t] = len(brand)
        self.shapley += shapley
        self.exclusive += exclusive
        if with_masks:
            self._overlaps.append(masks)

    def gained_followers(self, brand: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """Viewers who do not follow the account follow it with its follow rate (drawn
        for every viewer; for a follower it changes nothing): their sorted new keys, which
        :meth:`churn` adds to the follows."""
        seg, pos = bernoulli_select(self.streams, np.arange(self.A), np.diff(bounds),
                                    self.param["follow_rate"])
        keys = brand[bounds[seg] + pos]  # sorted: brand is
        return keys[~contains(self.follows, keys)]

    def respond(self, t: int, brand: np.ndarray) -> None:
        """Users reached by a crisis response keep only part of their trust losses."""
        for r in self.responses:
            if not r.start <= t < r.end:
                continue
            users = sorted_unique(brand[np.isin(brand // self.n, r.targets)] % self.n)
            users = users[~r.reached[users]]
            r.reached[users] = True
            self.protection[users] *= 1 - r.protection
            for s in self.scandals:
                s.deficit[users] *= 1 - r.protection

    def lose_trust(self, t: int, scandal_keys: np.ndarray) -> None:
        """Users who saw a scandal post lose severity x association of their trust (less
        if a crisis response reached them); the loss decays with the scandal's half-life."""
        for s in self.scandals:
            if not s.start <= t < s.end:
                continue
            mine = scandal_keys[np.isin(scandal_keys // self.n - self.A, s.targets)]
            users, account = mine % self.n, mine // self.n - self.A
            loss = s.severity * self.param["association"][account]
            if self.protection is not None:
                loss = loss * self.protection[users]
            np.maximum.at(s.deficit, users, loss / s.decay(t))

    def churn(self, trust: np.ndarray | None, gained: np.ndarray) -> None:
        """The day's new follows ``gained`` are added; then followers unfollow at the
        account's churn rate, faster from a silent account and for users who lost trust
        (thinning: candidates at the highest rate, then kept with their own rate's share
        of it). Both changes are made in one pass over the follows."""
        bounds = np.searchsorted(self.follows, self.edges) + np.searchsorted(gained, self.edges)
        silent = 1 + (self.dyn.silent_churn_multiplier - 1) * (1 - self.visibility)
        distrust = self.dyn.distrust_churn_multiplier - 1
        worst = 1.0 if trust is None else 1 + distrust * (1 - trust.min())
        top = np.minimum(1.0, self.param["churn_rate"] * silent * worst)
        accounts = np.arange(self.A)
        seg, pos = bernoulli_select(self.streams, accounts, np.diff(bounds), top)
        drop = bounds[seg] + pos
        if trust is not None and len(drop):
            users = merged_at(self.follows, gained, drop) - seg * self.n
            own = 1 + distrust * (1 - trust[users])
            u = self.streams.uniforms(seg, np.ones(len(drop), dtype=np.int64))
            drop = drop[u * worst < own]
        self.follows = splice(self.follows, gained, drop)

    def copy(self) -> State:
        """An independent copy to simulate on from here (world, parameters and posting
        uniforms are shared: nothing changes them)."""
        twin = copy.copy(self)
        for name in ("follows", "amp", "visibility", "brand_on", "removed", "dormant",
                     "reach", "scandal_reach", "impressions", "mean_trust", "role_follows",
                     "shapley", "exclusive"):
            setattr(twin, name, getattr(self, name).copy())
        twin.factors = list(self.factors)
        twin.pending = {d: list(keys) for d, keys in self.pending.items()}
        twin.scandals = copy.deepcopy(self.scandals)
        twin.responses = copy.deepcopy(self.responses)
        twin.protection = None if self.protection is None else self.protection.copy()
        twin._overlaps = list(self._overlaps)
        twin.streams = self.streams.copy()
        twin.days = None if self.days is None else {k: v.copy() for k, v in self.days.items()}
        return twin

    def trace(self) -> Trace:
        counts = np.diff(np.searchsorted(self.follows, self.edges))
        days = None if self.days is None else AccountDays(**self.days)
        return Trace(self.reach, self.impressions, self.scandal_reach, self.mean_trust,
                     self.role_follows, self.shapley, self.exclusive, counts, self.coverage(),
                     days)

    def coverage(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct account sets (bit masks) and the user-days each reached."""
        if self.A > 64:
            return np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)
        alone = np.flatnonzero(self.exclusive)
        masks = np.sort(np.concatenate(self._overlaps or [np.empty(0, dtype=np.uint64)]))
        first = np.flatnonzero(np.r_[True, masks[1:] != masks[:-1]]) if len(masks) else \
            np.empty(0, dtype=np.int64)
        counts = np.diff(np.r_[first, len(masks)])
        return (np.concatenate([np.left_shift(np.uint64(1), alone.astype(np.uint64)),
                                masks[first]]),
                np.concatenate([self.exclusive[alone].astype(np.int64), counts]))

