"""Deterministic generator of realistic paid-knowledge platform data in the raw contract (v1).

What it models (every knob is a field of :class:`GeneratorConfig`):

- **Catalog**: courses in 8 categories (weighted), 3-5 tags from the category's vocabulary,
  a format (video, audio, ebook, live, column) and a price drawn per format from
  log-normal price bands. Popularity is long-tailed: a Zipf law over a random ranking
  (``popularity_alpha``). A share of courses is published during the window, so some
  courses are new and have little engagement.
- **Users**: sign up over the window with growth (more users later), come from an
  acquisition channel whose cohort churns at its own rate (exponential lifetimes), have
  an activity rate (log-normal sessions per day) and latent interests over categories
  (a sparse Dirichlet). Interests, course popularity and quality are the *ground truth*:
  they are written under ``truth/``, never into the raw files.
- **Sessions** follow a weekly rhythm (weekends busier), a seasonal one (January and
  September up, summer down) and promotion days (618, Double 11) with more traffic and
  higher conversion. Each session views one course chosen by interest x popularity
  (with some exploration).
- **Funnel** per view: favorite, free trial, purchase (more likely when the course
  matches the user's interest and its price suits the user), completion and rating
  driven by satisfaction, refunds more likely when satisfaction is low, shares.
  A user buys a course at most once.
- **Memberships**: a share of users buys monthly (recurring until churn) or annual
  memberships: purchases without a course.
- **Check-ins**: learners check in on the days they study.
- **Personas** (``PERSONAS``): each user is one of five learner types that shows in how
  they learn, event by event: the hours they keep (purchases, lessons and check-ins too),
  the formats they pick within the categories their interests choose, session length,
  completion, price sensitivity, coupons and promotion response, and the shape of their
  lifetime (lapsed users: an eager burst after sign-up, then silence). Activity still
  varies within a persona, and light users exist in every one. ``truth/personas.csv``
  (user_id, persona) is the answer key that clustering is judged against (adjusted Rand
  index).
- **Learning time**: every view, trial and lesson carries ``duration_seconds``; a bought
  course is followed by lessons (views of it) whose ``progress`` climbs to 1 at completion,
  or stalls below 1 when the user gives up.
- **Demographics**, generalized only (``users``: age_band, gender, region as a city tier,
  occupation, education), loosely tied to the persona. One region (``overseas``) is rare on
  purpose, so that k-anonymity has small cells to suppress.
- **Malformed rows** (``malformed_share``, 0 switches them off): one of each contract
  violation in turn (unknown event type, missing user, unparseable or future timestamp,
  non-positive amount, rating out of range, missing course, unknown course, duplicate id).

Output is streamed user chunk by user chunk to Parquet (or CSV), so memory is bounded
by the chunk size, not by the number of events. The same config and seed give
byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

CATEGORIES = [
    "programming",
    "data",
    "career",
    "finance",
    "language",
    "humanities",
    "parenting",
    "health",
]
CATEGORY_WEIGHTS = [0.2, 0.15, 0.14, 0.13, 0.12, 0.1, 0.08, 0.08]
TAGS = {
    "programming": ["python", "java", "frontend", "backend", "algorithms", "go", "devops", "ai"],
    "data": ["sql", "analytics", "statistics", "machine-learning", "excel", "bi", "ai"],
    "career": ["interview", "management", "communication", "productivity", "resume", "pm"],
    "finance": ["investing", "stocks", "funds", "personal-finance", "accounting", "tax"],
    "language": ["english", "japanese", "ielts", "speaking", "writing", "grammar"],
    "humanities": ["history", "philosophy", "literature", "psychology", "art", "writing"],
    "parenting": ["early-education", "reading", "psychology", "nutrition", "exams"],
    "health": ["fitness", "nutrition", "sleep", "psychology", "yoga", "meditation"],
}
FORMATS = ["video", "audio", "ebook", "live", "column"]
FORMAT_WEIGHTS = [0.4, 0.2, 0.1, 0.1, 0.2]
# Median price (CNY) per format; prices are log-normal around it, rounded to x9.9 style.
FORMAT_PRICE = {"video": 199.0, "audio": 99.0, "ebook": 39.0, "live": 299.0, "column": 69.0}
ACQ_CHANNELS = ["organic", "ads", "referral", "social"]
ACQ_WEIGHTS = [0.35, 0.35, 0.15, 0.15]
# Mean lifetime (days) of each acquisition cohort: paid ads churn fastest.
ACQ_MEAN_LIFETIME = [300.0, 70.0, 220.0, 130.0]
EVENT_CHANNELS = ["app", "web", "mini_program"]
EVENT_SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("user_id", pa.string()),
        ("course_id", pa.string()),
        ("event_type", pa.string()),
        ("event_ts", pa.string()),
        ("amount", pa.float64()),
        ("currency", pa.string()),
        ("rating", pa.int64()),
        ("channel", pa.string()),
        ("duration_seconds", pa.float64()),
        ("progress", pa.float64()),
    ]
)
# Learner personas: the generator's answer key for clustering (truth/personas.csv). A persona
# shows in how a user learns (hours, formats, session length, completion, what they pay,
# the shape of their lifetime), event by event, so it shows in a light user's few events
# too. Each column of PERSONA_TRAITS is one behaviour knob, a multiplier of the base rate
# unless said.
PERSONAS = ["binge_learner", "evening_listener", "bargain_hunter", "completionist", "lapsed"]
PERSONA_WEIGHTS = [0.15, 0.2, 0.2, 0.2, 0.25]
PERSONA_TRAITS = {
    # sessions/day, lifetime, price tolerance, completion, share of sessions on the
    # persona's formats (absolute), lesson minutes (median, absolute), lessons per bought
    # course (mean, absolute), buy, promo buy
    "rate": [2.0, 1.0, 0.9, 1.0, 2.0],
    "lifetime": [1.2, 1.3, 1.0, 1.5, 1.0],
    "price_tolerance": [1.3, 1.0, 0.35, 1.1, 0.8],
    "complete": [1.25, 1.0, 0.45, 1.6, 0.4],
    "format_share": [0.6, 0.75, 0.7, 0.5, 0.0],
    "coupon": [0.05, 0.05, 0.7, 0.05, 0.05],  # a purchase paid with a 30-50% coupon (absolute)
    "lesson_minutes": [55.0, 22.0, 6.0, 30.0, 5.0],
    "lessons": [4.0, 2.5, 1.0, 3.0, 1.0],
    "buy": [1.2, 1.0, 0.9, 1.5, 0.7],
    "promo_buy": [1.5, 1.5, 4.0, 1.2, 1.5],
}
# The formats a persona picks for format_share of its sessions (within the category its
# interests choose): binge learners watch video series, evening listeners audio,
# bargain hunters read cheap e-books and columns, completionists take live cohort classes.
PERSONA_FORMATS = [["video"], ["audio"], ["ebook", "column"], ["live"], []]
# Lapsed users: an eager burst of LAPSED_BURST_DAYS days after sign-up, then silence; they
# sign up at least LAPSED_SILENT_DAYS before the end, so that the lapse shows in the window.
LAPSED_BURST_DAYS = (7, 40)
LAPSED_SILENT_DAYS = 60
# Relative traffic by hour of day (UTC): the default, and the personas who keep their own
# hours (binge learners at night, evening listeners after work, completionists in the early
# morning before work, bargain hunters in office hours and at lunch).
HOURS_DEFAULT = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 3, 3, 3, 4, 4, 3, 3, 3, 3, 4, 5, 6, 6, 5, 3]
HOURS_EVENING = [5, 2, 1, 1, 1, 1, 2, 4, 5, 5, 5, 5, 6, 6, 5, 5, 6, 8, 20, 60, 90, 100, 90, 40]
HOURS_NIGHT = [80, 70, 50, 20, 5, 2, 2, 3, 5, 8, 10, 10, 10, 10, 10, 10, 10, 10, 10, 15, 30, 50, 70, 80]
HOURS_MORNING = [2, 1, 1, 2, 5, 30, 80, 100, 80, 40, 15, 8, 8, 6, 5, 5, 5, 5, 6, 6, 5, 4, 3, 2]
HOURS_OFFICE = [2, 1, 1, 1, 1, 1, 2, 4, 8, 15, 30, 50, 80, 80, 60, 50, 40, 20, 8, 6, 5, 4, 3, 2]
PERSONA_HOURS = [HOURS_NIGHT, HOURS_EVENING, HOURS_OFFICE, HOURS_MORNING, HOURS_DEFAULT]
AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55+"]
# age band weights per persona: binge learners young, evening listeners older
PERSONA_AGE = [
    [0.45, 0.35, 0.12, 0.06, 0.02],
    [0.05, 0.2, 0.35, 0.25, 0.15],
    [0.2, 0.35, 0.25, 0.15, 0.05],
    [0.15, 0.35, 0.3, 0.15, 0.05],
    [0.2, 0.35, 0.25, 0.15, 0.05],
]
GENDERS = ["female", "male", "undisclosed"]
GENDER_WEIGHTS = [0.52, 0.44, 0.04]
REGIONS = ["tier1", "new_tier1", "tier2", "tier3", "tier4_and_below", "overseas"]
REGION_WEIGHTS = [0.22, 0.25, 0.22, 0.17, 0.137, 0.003]
OCCUPATIONS = [
    "student",
    "it",
    "finance",
    "education",
    "healthcare",
    "manufacturing",
    "civil_service",
    "freelance",
    "other",
]
OCCUPATION_WEIGHTS = [0.15, 0.18, 0.1, 0.1, 0.08, 0.1, 0.07, 0.08, 0.14]
EDUCATIONS = ["high_school", "associate", "bachelor", "master", "doctorate"]
EDUCATION_WEIGHTS = [0.15, 0.25, 0.42, 0.15, 0.03]
MALFORMED_KINDS = [
    "unknown_event_type",
    "missing_user",
    "unparseable_timestamp",
    "future_timestamp",
    "non_positive_amount",
    "rating_out_of_range",
    "missing_course",
    "unknown_course",
    "duplicate_event_id",
    "duration_out_of_range",
    "progress_out_of_range",
]


@dataclass(frozen=True)
class GeneratorConfig:
    users: int = 5000
    courses: int = 200
    days: int = 365
    seed: int = 42
    end_date: dt.date = dt.date(2026, 6, 30)
    popularity_alpha: float = 1.0
    interest_concentration: float = 0.25
    exploration: float = 0.15
    sessions_per_day: float = 0.3
    p_favorite: float = 0.05
    p_trial: float = 0.18
    p_purchase_after_trial: float = 0.2
    p_purchase_direct: float = 0.03
    p_complete: float = 0.55
    p_refund: float = 0.12
    p_membership: float = 0.06
    learner_share: float = 0.35
    consent_share: float = 0.8
    malformed_share: float = 0.002
    # Simulated campaigns sent `campaign_days_before_end` days before the end, each to a
    # disjoint random half of the consenting users active that day, with a control group.
    # A treated user makes one extra purchase in the measurement window with probability
    # `lift` (0 = a campaign that does nothing); truth/campaigns.parquet has the true uplift.
    campaigns: tuple = (("spring_coupon", 0.08), ("newsletter_nudge", 0.0))
    campaign_days_before_end: int = 21
    campaign_window_days: int = 14
    campaign_control_share: float = 0.2
    suppression_share: float = 0.01  # users on the suppression list (unsubscribed, complaints)
    chunk_users: int = 20000
    format: str = "parquet"


def _iso(seconds: np.ndarray, epoch: dt.datetime, offsets_h: np.ndarray) -> np.ndarray:
    """ISO-8601 strings; rows with a non-zero offset are written in that local time."""
    base = np.datetime64(epoch.replace(tzinfo=None), "s")
    local = base + (seconds + offsets_h * 3600).astype("timedelta64[s]")
    text = np.datetime_as_string(local, unit="s")
    suffix = np.where(offsets_h == 8, "+08:00", "Z")
    return np.char.add(text.astype(str), suffix)


def _price(rng: np.random.Generator, formats: np.ndarray) -> np.ndarray:
    median = np.array([FORMAT_PRICE[f] for f in formats])
    raw = median * np.exp(rng.normal(0.0, 0.5, len(formats)))
    price = np.maximum(np.round(raw / 10.0) * 10.0 - 0.1, 9.9)
    free = rng.random(len(formats)) < 0.05
    return np.where(free, 0.0, np.round(price, 1))


def _calendar_weight(days: np.ndarray, start: dt.date) -> np.ndarray:
    """Relative traffic by day: weekly, seasonal and promotion-day rhythm."""
    dates = np.datetime64(start) + days.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    md = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    w = np.where(weekday >= 5, 1.3, 1.0)
    w = w * np.select([np.isin(month, [1, 9]), np.isin(month, [7, 8])], [1.2, 0.85], 1.0)
    promo = ((month == 11) & (np.abs(md - 11) <= 1)) | ((month == 6) & (np.abs(md - 18) <= 1))
    return w * np.where(promo, 2.0, 1.0)


def _promo(days: np.ndarray, start: dt.date) -> np.ndarray:
    dates = np.datetime64(start) + days.astype("timedelta64[D]")
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    md = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    return ((month == 11) & (np.abs(md - 11) <= 1)) | ((month == 6) & (np.abs(md - 18) <= 1))


class Generator:
    """Writes ``events``, ``courses``, ``users`` and ``truth/`` under an output folder."""

    def __init__(self, config: GeneratorConfig):
        self.cfg = config
        self.start = config.end_date - dt.timedelta(days=config.days - 1)
        self.epoch = dt.datetime.combine(self.start, dt.time())
        self.seq = np.random.SeedSequence(config.seed)
        self.catalog_seed, self.user_seed = self.seq.spawn(2)

    # ---------------------------------------------------------------- catalog
    def _catalog(self) -> dict[str, np.ndarray]:
        cfg = self.cfg
        rng = np.random.default_rng(self.catalog_seed)
        n = cfg.courses
        cat = rng.choice(len(CATEGORIES), n, p=CATEGORY_WEIGHTS)
        fmt = rng.choice(len(FORMATS), n, p=FORMAT_WEIGHTS)
        ranks = rng.permutation(n) + 1
        popularity = ranks ** (-cfg.popularity_alpha)
        quality = rng.normal(0.0, 1.0, n)
        price = _price(rng, np.array(FORMATS)[fmt])
        # 70% of the catalog exists before the window; the rest is published during it.
        published_day = np.where(
            rng.random(n) < 0.7,
            -rng.integers(30, 1500, n),
            rng.integers(0, cfg.days, n),
        )
        tags = []
        for i in range(n):
            vocab = TAGS[CATEGORIES[cat[i]]]
            k = int(rng.integers(2, min(5, len(vocab)) + 1))
            tags.append("|".join(sorted(rng.choice(vocab, k, replace=False).tolist())))
        return {
            "cat": cat,
            "fmt": fmt,
            "popularity": popularity,
            "quality": quality,
            "price": price,
            "published_day": published_day,
            "tags": np.array(tags, dtype=object),
            "instructor": rng.integers(1, max(2, n // 4), n),
        }

    def _write_courses(self, out: Path, cat: dict) -> None:
        n = self.cfg.courses
        ids = np.array([f"c{i:05d}" for i in range(1, n + 1)], dtype=object)
        pub = np.datetime64(self.start) + cat["published_day"].astype("timedelta64[D]")
        table = pa.table(
            {
                "course_id": ids,
                "title": [
                    f"{CATEGORIES[c].title()} {t.split('|')[0]} #{i + 1}"
                    for i, (c, t) in enumerate(zip(cat["cat"], cat["tags"], strict=True))
                ],
                "category": np.array(CATEGORIES, dtype=object)[cat["cat"]],
                "tags": cat["tags"],
                "format": np.array(FORMATS, dtype=object)[cat["fmt"]],
                "price": cat["price"],
                "instructor_id": [f"i{x:04d}" for x in cat["instructor"]],
                "published_at": np.char.add(np.datetime_as_string(pub, unit="s"), "Z"),
            }
        )
        self._write(table, out / f"courses.{self._ext}")
        truth = pa.table(
            {
                "course_id": ids,
                "popularity": cat["popularity"],
                "quality": cat["quality"],
            }
        )
        pq.write_table(truth, out / "truth" / "courses.parquet")

    # ------------------------------------------------------------------ users
    def _users_chunk(self, rng: np.random.Generator, first: int, n: int) -> dict:
        cfg = self.cfg
        growth = rng.random(n) ** 0.8
        acq = rng.choice(len(ACQ_CHANNELS), n, p=ACQ_WEIGHTS)
        persona = rng.choice(len(PERSONAS), n, p=PERSONA_WEIGHTS)
        traits = {name: np.array(values)[persona] for name, values in PERSONA_TRAITS.items()}
        lapsed = persona == PERSONAS.index("lapsed")
        # a lapsed user's burst and silence both fall in the window (when the window allows)
        silent = min(LAPSED_SILENT_DAYS, cfg.days // 2)
        signup = np.floor(np.where(lapsed, cfg.days - silent, cfg.days) * growth).astype(np.int64)
        lifetime = np.where(
            lapsed,
            rng.uniform(*LAPSED_BURST_DAYS, n),
            rng.exponential(np.array(ACQ_MEAN_LIFETIME)[acq]) * traits["lifetime"],
        )
        end = np.minimum(cfg.days, signup + np.ceil(lifetime).astype(np.int64) + 1)
        # the persona sets most of the activity; the rest varies around it (mean kept at 1x)
        rate = cfg.sessions_per_day * np.exp(rng.normal(-0.105, 0.5, n)) * traits["rate"]
        interests = rng.dirichlet(np.full(len(CATEGORIES), cfg.interest_concentration), n)
        price_tolerance = np.exp(rng.normal(np.log(150.0), 0.6, n)) * traits["price_tolerance"]
        channel = rng.choice(len(EVENT_CHANNELS), n, p=[0.6, 0.15, 0.25])
        consent_roll = rng.random(n)
        consent = pa.array(
            consent_roll < cfg.consent_share,
            mask=consent_roll >= cfg.consent_share + 0.12,  # unknown: treated as no consent
        )
        return {
            "ids": np.array([f"u{first + i:07d}" for i in range(1, n + 1)], dtype=object),
            "signup": signup,
            "acq": acq,
            "end": end,
            "rate": rate,
            "interests": interests,
            "price_tolerance": price_tolerance,
            "channel": channel,
            "consent": consent,
            "learner": rng.random(n) < cfg.learner_share,
            "member": rng.random(n) < cfg.p_membership * np.clip(rate / cfg.sessions_per_day, 0.3, 3),
            "sign_sec": rng.integers(0, 86400, n),
            "persona": persona,
            "traits": traits,
            "demographics": self._demographics(rng, persona),
        }

    @staticmethod
    def _demographics(rng: np.random.Generator, persona: np.ndarray) -> dict[str, np.ndarray]:
        """Generalized categories only: bands and city tiers, loosely tied to the persona."""
        n = len(persona)
        age_cdf = np.cumsum(np.array(PERSONA_AGE), axis=1)[persona]
        age = (age_cdf < rng.random((n, 1)) * age_cdf[:, -1:]).sum(axis=1)
        occupation = rng.choice(len(OCCUPATIONS), n, p=OCCUPATION_WEIGHTS)
        # the youngest are mostly students
        occupation = np.where((age == 0) & (rng.random(n) < 0.6), OCCUPATIONS.index("student"), occupation)
        return {
            "age_band": np.array(AGE_BANDS, dtype=object)[age],
            "gender": np.array(GENDERS, dtype=object)[rng.choice(len(GENDERS), n, p=GENDER_WEIGHTS)],
            "region": np.array(REGIONS, dtype=object)[rng.choice(len(REGIONS), n, p=REGION_WEIGHTS)],
            "occupation": np.array(OCCUPATIONS, dtype=object)[occupation],
            "education": np.array(EDUCATIONS, dtype=object)[rng.choice(len(EDUCATIONS), n, p=EDUCATION_WEIGHTS)],
        }

    # ----------------------------------------------------------------- events
    def _events_chunk(self, rng: np.random.Generator, u: dict, cat: dict, cat_cdf, cat_members):
        cfg = self.cfg
        n = len(u["ids"])
        active = u["end"] - u["signup"]
        sessions = rng.poisson(u["rate"] * active * 1.25)
        uidx = np.repeat(np.arange(n), sessions)
        day = u["signup"][uidx] + np.floor(rng.random(len(uidx)) * active[uidx]).astype(np.int64)
        keep = rng.random(len(uidx)) < _calendar_weight(day, self.start) / 2.6
        uidx, day = uidx[keep], day[keep]
        m = len(uidx)
        sec = day * 86400 + self._hours(rng, u["persona"][uidx]) * 3600 + rng.integers(0, 3600, m)

        # category: by interest, or exploration uniformly; course: by popularity within it
        icdf = np.cumsum(u["interests"][uidx], axis=1)
        by_interest = (icdf < rng.random((m, 1)) * icdf[:, -1:]).sum(axis=1)
        explore = rng.random(m) < cfg.exploration
        c = np.where(explore, rng.integers(0, len(CATEGORIES), m), by_interest)
        course = np.empty(m, dtype=np.int64)
        r = rng.random(m)
        for k in range(len(CATEGORIES)):
            sel = c == k
            if sel.any() and len(cat_members[k]):
                course[sel] = cat_members[k][np.searchsorted(cat_cdf[k], r[sel], side="right")]
            elif sel.any():
                course[sel] = rng.integers(0, cfg.courses, sel.sum())
        course = self._persona_formats(rng, u["persona"][uidx], c, course, cat)
        published = cat["published_day"][course] <= day
        uidx, day, sec, course = uidx[published], day[published], sec[published], course[published]
        m = len(uidx)

        # funnel, one row per view with all downstream steps
        interest = u["interests"][uidx, cat["cat"][course]] * len(CATEGORIES)
        match = np.clip(interest, 0.05, 4.0)
        promo = _promo(day, self.start)
        price = cat["price"][course]
        price_fit = np.clip(u["price_tolerance"][uidx] / np.maximum(price, 10.0), 0.2, 1.5)
        quality = cat["quality"][course]
        fav = rng.random(m) < cfg.p_favorite * match
        trial = rng.random(m) < np.clip(cfg.p_trial * np.sqrt(match), 0, 0.9)
        traits = {name: values[uidx] for name, values in u["traits"].items()}
        p_buy = (
            np.where(trial, cfg.p_purchase_after_trial, cfg.p_purchase_direct)
            * match
            * price_fit
            * np.exp(0.2 * quality)
            * traits["buy"]
            * np.where(promo, traits["promo_buy"], 1.0)
        )
        buy = rng.random(m) < np.clip(p_buy, 0, 0.95)
        t_trial = sec + rng.integers(30, 1800, m)
        persona = u["persona"][uidx]
        t_buy = self._later_at_hours(rng, persona, np.where(trial, t_trial, sec) + 60, 0, 3)

        # at most one purchase per (user, course): keep the earliest
        order = np.lexsort((t_buy, course, uidx))
        b = buy[order]
        key = uidx[order] * cfg.courses + course[order]
        pos = np.flatnonzero(b)
        dup = np.zeros(m, dtype=bool)
        if len(pos):
            prev_same = np.r_[False, key[pos][1:] == key[pos][:-1]]
            dup[order[pos[prev_same]]] = True
        buy &= ~dup

        satisfaction = 1 / (1 + np.exp(-(quality + 0.6 * np.log(match) + rng.normal(0, 0.8, m))))
        complete = buy & (rng.random(m) < np.clip(cfg.p_complete * (0.4 + satisfaction) * traits["complete"], 0, 0.97))
        t_complete = self._later_at_hours(rng, persona, t_buy, 2, 45)
        rated = (complete & (rng.random(m) < 0.5)) | (buy & ~complete & (rng.random(m) < 0.1))
        stars = np.clip(np.round(1 + 4 * satisfaction + rng.normal(0, 0.6, m)), 1, 5).astype(np.int64)
        t_rate = np.where(complete, t_complete, t_buy) + rng.integers(60, 86400, m)
        refund = buy & ~complete & (rng.random(m) < cfg.p_refund * (1.6 - satisfaction) ** 2)
        t_refund = t_buy + rng.integers(3600, 7 * 86400, m)
        share = buy & (rng.random(m) < 0.05 + 0.1 * satisfaction)
        t_share = t_buy + rng.integers(60, 10 * 86400, m)
        horizon = self.cfg.days * 86400

        parts = []

        def add(mask, etype, t, amount=None, rating=None, duration=None, progress=None):
            mask = mask & (t < horizon)
            k = int(mask.sum())
            parts.append(
                {
                    "u": uidx[mask],
                    "course": course[mask],
                    "type": np.full(k, etype, dtype=object),
                    "t": t[mask],
                    "amount": np.full(k, np.nan) if amount is None else amount[mask],
                    "rating": np.full(k, -1) if rating is None else rating[mask],
                    "duration": np.full(k, np.nan) if duration is None else duration[mask],
                    "progress": np.full(k, np.nan) if progress is None else progress[mask],
                }
            )

        ones = np.ones(m, dtype=bool)
        coupon = np.where(rng.random(m) < traits["coupon"], rng.uniform(0.5, 0.7, m), 1.0)
        paid_price = np.round(price * np.where(promo, 0.8, 1.0) * coupon, 1)
        # a course page or preview: a few minutes, longer for those who learn long
        browse = np.round(60 * np.clip(0.12 * traits["lesson_minutes"] * np.exp(rng.normal(0, 0.5, m)), 0.2, 30))
        add(ones, "view", sec, duration=browse)
        add(fav, "favorite", sec + rng.integers(10, 600, m))
        add(trial, "trial", t_trial, duration=np.round(rng.uniform(60, 900, m)))
        add(buy & (paid_price > 0), "purchase", t_buy, amount=paid_price)
        self._lessons(rng, parts, u, uidx, course, buy, complete, t_buy, t_complete, horizon)
        add(complete, "complete", t_complete, progress=ones.astype(float))
        add(rated, "rating", t_rate, rating=stars)
        add(refund & (paid_price > 0), "refund", t_refund, amount=paid_price)
        add(share, "share", t_share)

        # memberships: monthly ones renew every 30 days until the user churns
        members = np.flatnonzero(u["member"])
        if len(members):
            annual = rng.random(len(members)) < 0.35
            first = u["signup"][members] + rng.integers(0, 30, len(members))
            count = np.where(annual, 1 + (u["end"][members] - first > 365), 0)
            count = np.where(annual, count, np.maximum(0, (u["end"][members] - first) // 30))
            count = np.where(first < u["end"][members], np.maximum(count, 1), 0)
            mu = np.repeat(members, count)
            step = np.concatenate([np.arange(k) for k in count]) if len(mu) else np.array([], int)
            period = np.where(np.repeat(annual, count), 365, 30)
            mday = np.repeat(first, count) + step * period
            msec = mday * 86400 + rng.integers(8 * 3600, 23 * 3600, len(mu))
            amount = np.where(np.repeat(annual, count), 198.0, 25.0)
            ok = msec < horizon
            parts.append(
                {
                    "u": mu[ok],
                    "course": np.full(int(ok.sum()), -1),
                    "type": np.full(int(ok.sum()), "purchase", dtype=object),
                    "t": msec[ok],
                    "amount": amount[ok],
                    "rating": np.full(int(ok.sum()), -1),
                    "duration": np.full(int(ok.sum()), np.nan),
                    "progress": np.full(int(ok.sum()), np.nan),
                }
            )

        # check-ins: learners check in once on (most of) the days they study
        learner_view = u["learner"][uidx] & (rng.random(m) < 0.8)
        ud = np.unique(uidx[learner_view] * (self.cfg.days + 1) + day[learner_view])
        cu, cd = ud // (self.cfg.days + 1), ud % (self.cfg.days + 1)
        parts.append(
            {
                "u": cu,
                "course": np.full(len(cu), -1),
                "type": np.full(len(cu), "checkin", dtype=object),
                "t": cd * 86400 + self._hours(rng, u["persona"][cu]) * 3600 + rng.integers(0, 3600, len(cu)),
                "amount": np.full(len(cu), np.nan),
                "rating": np.full(len(cu), -1),
                "duration": np.full(len(cu), np.nan),
                "progress": np.full(len(cu), np.nan),
            }
        )
        ev = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.lexsort((ev["t"], ev["u"]))
        return {k: v[order] for k, v in ev.items()}

    @staticmethod
    def _persona_formats(rng, persona: np.ndarray, c: np.ndarray, course: np.ndarray, cat: dict) -> np.ndarray:
        """For the persona's share of sessions, a course of its format in the category its
        interests chose (by popularity); other sessions, and categories without a course of
        that format, keep the course already chosen."""
        share = np.array(PERSONA_TRAITS["format_share"])[persona]
        picks = rng.random(len(persona)) < share
        which = rng.integers(0, 2, len(persona))  # of a persona's two formats, which
        wanted = np.full(len(persona), -1)
        for p, formats in enumerate(PERSONA_FORMATS):
            for i, f in enumerate(formats):
                pick = picks & (persona == p) & ((which % len(formats)) == i)
                wanted[pick] = FORMATS.index(f)
        course = course.copy()
        r = rng.random(len(persona))
        for k in range(len(CATEGORIES)):
            for f in range(len(FORMATS)):
                sel = (c == k) & (wanted == f)
                members = np.flatnonzero((cat["cat"] == k) & (cat["fmt"] == f))
                if sel.any() and len(members):
                    w = cat["popularity"][members]
                    cdf = np.cumsum(w)[:-1] / w.sum()
                    course[sel] = members[np.searchsorted(cdf, r[sel], side="right")]
        return course

    @classmethod
    def _later_at_hours(cls, rng, persona: np.ndarray, after: np.ndarray, min_days: int, max_days: int) -> np.ndarray:
        """A time min_days..max_days days after ``after``, at an hour of the persona's rhythm
        (people buy and finish in the hours they learn), never before ``after``."""
        day = after // 86400 + rng.integers(min_days, max_days, len(after))
        t = day * 86400 + cls._hours(rng, persona) * 3600 + rng.integers(0, 3600, len(after))
        return np.where(t < after, t + 86400, t)

    @staticmethod
    def _hours(rng: np.random.Generator, persona: np.ndarray) -> np.ndarray:
        """An hour of the day (UTC) per row, from the row's persona's rhythm."""
        cdf = np.cumsum(np.array(PERSONA_HOURS, dtype=float), axis=1)
        cdf = cdf / cdf[:, -1:]
        return (cdf[persona] < rng.random((len(persona), 1))).sum(axis=1)

    def _lessons(self, rng, parts: list, u: dict, uidx, course, buy, complete, t_buy, t_complete, horizon) -> None:
        """Views of a bought course after the purchase: lessons with a duration and a
        progress that climbs to 1 at completion, or stalls below it when the user gives up."""
        rows = np.flatnonzero(buy)
        traits = u["traits"]
        persona = u["persona"][uidx[rows]]
        count = 1 + rng.poisson(np.maximum(traits["lessons"][uidx[rows]] - 1, 0))
        row = np.repeat(rows, count)
        step = np.concatenate([np.arange(1, k + 1) for k in count]) if len(row) else np.array([], int)
        total = np.repeat(count, count)
        finished = complete[row]
        # a learner who gives up stops somewhere between a tenth and nine tenths of the way
        reach = np.where(finished, 1.0, np.repeat(rng.uniform(0.1, 0.9, len(rows)), count))
        progress = np.round(np.minimum(step / (total + finished) * reach, 0.99), 3)
        span = np.where(
            finished, t_complete[row] - t_buy[row], np.repeat(rng.integers(86400, 30 * 86400, len(rows)), count)
        )
        day = (t_buy[row] + span * step // (total + 1)) // 86400
        t = day * 86400 + self._hours(rng, np.repeat(persona, count)) * 3600 + rng.integers(0, 3600, len(row))
        t = np.maximum(t, t_buy[row] + 600)
        minutes = traits["lesson_minutes"][uidx[row]] * np.exp(rng.normal(0, 0.4, len(row)))
        ok = t < horizon
        parts.append(
            {
                "u": uidx[row][ok],
                "course": course[row][ok],
                "type": np.full(int(ok.sum()), "view", dtype=object),
                "t": t[ok],
                "amount": np.full(int(ok.sum()), np.nan),
                "rating": np.full(int(ok.sum()), -1),
                "duration": np.round(60 * np.clip(minutes, 1, 240))[ok],
                "progress": progress[ok],
            }
        )

    def _event_table(self, rng, u: dict, ev: dict, first_event: int) -> pa.Table:
        k = len(ev["u"])
        course_ids = np.where(
            ev["course"] >= 0,
            np.char.add("c", np.char.zfill(np.maximum(ev["course"] + 1, 0).astype(str), 5)),
            None,
        )
        channel = u["channel"][ev["u"]]
        # a tenth of events switch channel; mini_program rows carry a +08:00 local offset
        switch = rng.random(k) < 0.1
        channel = np.where(switch, rng.integers(0, len(EVENT_CHANNELS), k), channel)
        offsets = np.where(channel == 2, 8, 0)
        money = np.isin(ev["type"], ["purchase", "refund"])
        return pa.table(
            {
                "event_id": np.char.add(
                    "e", np.char.zfill(np.arange(first_event, first_event + k).astype(str), 10)
                ).astype(object),
                "user_id": u["ids"][ev["u"]],
                "course_id": course_ids.astype(object),
                "event_type": ev["type"],
                "event_ts": _iso(ev["t"], self.epoch, offsets).astype(object),
                "amount": pa.array(ev["amount"], mask=~money),
                "currency": pa.array(np.where(money, "CNY", None).astype(object)),
                "rating": pa.array(ev["rating"], mask=ev["rating"] < 0),
                "channel": np.array(EVENT_CHANNELS, dtype=object)[channel],
                "duration_seconds": pa.array(ev["duration"], mask=np.isnan(ev["duration"])),
                "progress": pa.array(ev["progress"], mask=np.isnan(ev["progress"])),
            },
            schema=EVENT_SCHEMA,
        )

    def _malform(self, rng: np.random.Generator, table: pa.Table, chunk_no: int) -> pa.Table:
        """Append corrupted copies of random rows: one contract violation each, in turn."""
        k = int(round(self.cfg.malformed_share * table.num_rows))
        if k == 0:
            return table
        rows = table.take(pa.array(np.sort(rng.choice(table.num_rows, k, replace=False))))
        cols = {name: rows.column(name).to_pylist() for name in rows.column_names}
        for i in range(k):
            kind = MALFORMED_KINDS[(i + chunk_no) % len(MALFORMED_KINDS)]
            eid = f"x{chunk_no:04d}{i:06d}"
            if kind != "duplicate_event_id":
                cols["event_id"][i] = eid
            if kind == "unknown_event_type":
                cols["event_type"][i] = "wishlist"
            elif kind == "missing_user":
                cols["user_id"][i] = None if i % 2 else "   "
            elif kind == "unparseable_timestamp":
                cols["event_ts"][i] = "31/02/2026 25:61"
            elif kind == "future_timestamp":
                cols["event_ts"][i] = "2099-01-01T00:00:00Z"
            elif kind == "non_positive_amount":
                cols["event_type"][i] = "purchase"
                cols["course_id"][i] = cols["course_id"][i] or "c00001"
                cols["amount"][i] = 0.0 if i % 2 else -19.9
                cols["currency"][i] = "CNY"
                cols["rating"][i] = None
            elif kind == "rating_out_of_range":
                cols["event_type"][i] = "rating"
                cols["course_id"][i] = cols["course_id"][i] or "c00001"
                cols["rating"][i] = 7 if i % 2 else 0
                cols["amount"][i] = None
                cols["currency"][i] = None
            elif kind == "missing_course":
                cols["event_type"][i] = "view"
                cols["course_id"][i] = None
                cols["amount"][i] = None
                cols["currency"][i] = None
                cols["rating"][i] = None
            elif kind == "duration_out_of_range":
                cols["duration_seconds"][i] = -30.0 if i % 2 else 200000.0
            elif kind == "progress_out_of_range":
                cols["progress"][i] = 1.5 if i % 2 else -0.1
            elif kind == "unknown_course":
                cols["event_type"][i] = "view"
                cols["course_id"][i] = "c99999"
                cols["amount"][i] = None
                cols["currency"][i] = None
                cols["rating"][i] = None
        bad = pa.table(cols, schema=EVENT_SCHEMA)
        return pa.concat_tables([table, bad])

    # ----------------------------------------------------------------- output
    @property
    def _ext(self) -> str:
        return "csv" if self.cfg.format == "csv" else "parquet"

    def _write(self, table: pa.Table, path: Path) -> None:
        if self.cfg.format == "csv":
            pacsv.write_csv(table, path)
        else:
            pq.write_table(table, path, compression="zstd")

    def write(self, out: Path) -> dict[str, int]:
        """Generate everything into ``out``; returns row counts per file."""
        cfg = self.cfg
        out.mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(exist_ok=True)
        cat = self._catalog()
        self._write_courses(out, cat)
        cat_members, cat_cdf = [], []
        for k in range(len(CATEGORIES)):
            members = np.flatnonzero(cat["cat"] == k)
            w = cat["popularity"][members]
            cat_members.append(members)
            cat_cdf.append(np.cumsum(w)[:-1] / w.sum() if len(w) else np.array([]))

        events_path = out / f"events.{self._ext}"
        users_path = out / f"users.{self._ext}"
        writers: dict[str, object] = {}
        counts = {"events": 0, "users": 0, "courses": cfg.courses}
        chunk_seeds = self.user_seed.spawn((cfg.users + cfg.chunk_users - 1) // cfg.chunk_users)
        campaign_stats = {name: [0, 0, lift] for name, lift in cfg.campaigns}
        try:
            for chunk_no, seed in enumerate(chunk_seeds):
                rng = np.random.default_rng(seed)
                first = chunk_no * cfg.chunk_users
                n = min(cfg.chunk_users, cfg.users - first)
                u = self._users_chunk(rng, first, n)
                ev = self._events_chunk(rng, u, cat, cat_cdf, cat_members)
                ev, sends = self._campaigns(rng, u, ev, cat, cat_cdf, cat_members, campaign_stats)
                events = self._event_table(rng, u, ev, counts["events"] + 1)
                events = self._malform(rng, events, chunk_no)
                users = self._user_table(u)
                truth = self._truth_table(u)
                truth_users = pa.table(
                    {
                        "user_id": u["ids"],
                        "price_tolerance": u["price_tolerance"],
                        "sessions_per_day": u["rate"],
                        "active_until_day": u["end"],
                    }
                )
                for name, table, path in (
                    ("events", events, events_path),
                    ("users", users, users_path),
                    ("truth", truth, out / "truth" / "user_interests.parquet"),
                    ("truth_users", truth_users, out / "truth" / "users.parquet"),
                    ("personas", self._persona_table(u), out / "truth" / "personas.csv"),
                    ("campaign_sends", sends, out / f"campaign_sends.{self._ext}"),
                    ("suppressions", self._suppressions(rng, u), out / f"suppressions.{self._ext}"),
                ):
                    if name not in writers:
                        writers[name] = self._open_writer(path, table.schema, name)
                    writers[name].write_table(table)
                counts["events"] += events.num_rows
                counts["users"] += users.num_rows
        finally:
            for w in writers.values():
                w.close()
        names = list(campaign_stats)
        treated = np.array([campaign_stats[n][0] for n in names], dtype=np.float64)
        organic = np.array([campaign_stats[n][1] for n in names], dtype=np.float64)
        lifts = np.array([campaign_stats[n][2] for n in names], dtype=np.float64)
        base = np.divide(organic, treated, out=np.zeros_like(treated), where=treated > 0)
        pq.write_table(
            pa.table(
                {
                    "campaign": names,
                    "lift_parameter": lifts,
                    "treated_users": treated.astype(np.int64),
                    "organic_conversion_treated": base,
                    # an extra purchase only converts a treated user who would not have bought anyway
                    "true_conversion_uplift": lifts * (1 - base),
                }
            ),
            out / "truth" / "campaigns.parquet",
        )
        return counts

    def _suppressions(self, rng: np.random.Generator, u: dict) -> pa.Table:
        chosen = np.flatnonzero(rng.random(len(u["ids"])) < self.cfg.suppression_share)
        reasons = np.array(["unsubscribed", "complaint", "legal_hold"], dtype=object)
        return pa.table(
            {"user_id": u["ids"][chosen], "reason": reasons[rng.integers(0, 3, len(chosen))]},
            schema=pa.schema([("user_id", pa.string()), ("reason", pa.string())]),
        )

    def _campaigns(self, rng, u: dict, ev: dict, cat: dict, cat_cdf, cat_members, stats: dict):
        """Send the configured campaigns to this chunk's users; add the purchases they cause."""
        cfg = self.cfg
        day = cfg.days - cfg.campaign_days_before_end
        send_sec = day * 86400 + 10 * 3600
        window = cfg.campaign_window_days * 86400
        consent = np.asarray(u["consent"].fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        eligible = np.flatnonzero((u["signup"] <= day) & (u["end"] > day) & consent)
        which = rng.integers(0, len(cfg.campaigns), len(eligible))
        control = rng.random(len(eligible)) < cfg.campaign_control_share
        bought_in_window = np.zeros(len(u["ids"]), dtype=bool)
        in_window = (ev["type"] == "purchase") & (ev["t"] >= send_sec) & (ev["t"] < send_sec + window)
        bought_in_window[ev["u"][in_window]] = True
        extra_u, extra_t, extra_c = [], [], []
        for k, (name, lift) in enumerate(cfg.campaigns):
            treated = eligible[(which == k) & ~control]
            stats[name][0] += len(treated)
            stats[name][1] += int(bought_in_window[treated].sum())
            converts = treated[rng.random(len(treated)) < lift]
            top = u["interests"][converts].argmax(axis=1)
            for c_idx in range(len(CATEGORIES)):
                sel = converts[top == c_idx]
                if len(sel) and len(cat_members[c_idx]):
                    picks = cat_members[c_idx][np.searchsorted(cat_cdf[c_idx], rng.random(len(sel)), side="right")]
                    extra_u.append(sel)
                    extra_c.append(picks)
                    extra_t.append(send_sec + rng.integers(3600, window, len(sel)))
        if extra_u:
            eu, ec, et = np.concatenate(extra_u), np.concatenate(extra_c), np.concatenate(extra_t)
            ok = (cat["published_day"][ec] <= day) & (cat["price"][ec] > 0) & (et < cfg.days * 86400)
            eu, ec, et = eu[ok], ec[ok], et[ok]
            extra = {
                "u": eu,
                "course": ec,
                "type": np.full(len(eu), "purchase", dtype=object),
                "t": et,
                "amount": np.round(cat["price"][ec] * 0.8, 1),
                "rating": np.full(len(eu), -1),
                "duration": np.full(len(eu), np.nan),
                "progress": np.full(len(eu), np.nan),
            }
            ev = {key: np.concatenate([ev[key], extra[key]]) for key in ev}
            order = np.lexsort((ev["t"], ev["u"]))
            ev = {key: v[order] for key, v in ev.items()}
        names = np.array([n for n, _ in cfg.campaigns], dtype=object)
        sent = _iso(np.full(len(eligible), send_sec), self.epoch, np.zeros(len(eligible), dtype=np.int64))
        sends = pa.table(
            {
                "user_id": u["ids"][eligible],
                "campaign": names[which] if len(eligible) else np.array([], dtype=object),
                "group": np.where(control, "control", "treatment").astype(object),
                "sent_at": sent.astype(object),
            },
            schema=pa.schema(
                [("user_id", pa.string()), ("campaign", pa.string()), ("group", pa.string()), ("sent_at", pa.string())]
            ),
        )
        return ev, sends

    def _persona_table(self, u: dict) -> pa.Table:
        return pa.table(
            {"user_id": u["ids"], "persona": np.array(PERSONAS, dtype=object)[u["persona"]]},
            schema=pa.schema([("user_id", pa.string()), ("persona", pa.string())]),
        )

    def _open_writer(self, path: Path, schema: pa.Schema, name: str):
        if path.suffix == ".csv" or (self.cfg.format == "csv" and not name.startswith("truth")):
            return pacsv.CSVWriter(path, schema)
        return pq.ParquetWriter(path, schema, compression="zstd")

    def _user_table(self, u: dict) -> pa.Table:
        n = len(u["ids"])
        sign = u["signup"] * 86400 + u["sign_sec"]
        has_email = np.arange(n) % 3 != 0
        return pa.table(
            {
                "user_id": u["ids"],
                "signup_ts": _iso(sign, self.epoch, np.zeros(n, dtype=np.int64)).astype(object),
                "channel": np.array(ACQ_CHANNELS, dtype=object)[u["acq"]],
                "marketing_consent": u["consent"],
                "email": np.where(has_email, np.char.add(u["ids"].astype(str), "@example.com"), None),
                "phone": [f"138{int(x[1:]):08d}" for x in u["ids"]],
                **u["demographics"],
            }
        )

    def _truth_table(self, u: dict) -> pa.Table:
        n = len(u["ids"])
        k = len(CATEGORIES)
        return pa.table(
            {
                "user_id": np.repeat(u["ids"], k),
                "category": np.tile(np.array(CATEGORIES, dtype=object), n),
                "interest": u["interests"].reshape(-1),
            }
        )


def generate(out: Path, config: GeneratorConfig) -> dict[str, int]:
    """Generate a data directory in the raw contract; returns row counts."""
    return Generator(config).write(Path(out))
