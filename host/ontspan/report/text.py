"""The words of the report, in Dutch and English (`--lang nl|en`).

The patients and most therapists are Dutch; English is for everyone else. The
default follows the system locale (LC_ALL, LC_MESSAGES, LANG).
"""

from __future__ import annotations

import os

from .patient_text import WORDS as PATIENT_WORDS

LANGS = ("nl", "en")

OUTCOMES = {
    "en": {"COMPLETED": "completed", "STOPPED": "stopped", "PAUSED_TOO_LONG": "paused too long",
           "POWER_CUT": "cut by power", "FAULT": "fault", "NONE": "in progress"},
    "nl": {"COMPLETED": "voltooid", "STOPPED": "gestopt", "PAUSED_TOO_LONG": "te lang gepauzeerd",
           "POWER_CUT": "stroom onderbroken", "FAULT": "storing", "NONE": "bezig"},
}

_T: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ontspan practice report",
        "device": "Device",
        "period": "Period",
        "period_days": "{first} to {last} ({days} days)",
        "period_one_day": "{first} (one day)",
        "no_dated": "no dated sessions",
        "plan": "Plan: {n} sessions a day.",
        "plan_1": "Plan: 1 session a day.",
        "in_short": "In short",
        "no_sessions": "No finished sessions in this selection yet.",
        "sessions_line": "{n} sessions, {completed} played to the end ({pct}).",
        "sessions_line_1": "1 session, {completed} played to the end ({pct}).",
        "outcomes_line": "How they ended: {list}.",
        "adherence_line": "Adherence to the plan: {pct} of {planned} planned sessions.",
        "adherence_line_1": "Adherence to the plan: {pct} of 1 planned session.",
        "tension_none": "No tension ratings yet.",
        "tension_before": "Tension before a session averaged {v} over {n} sessions",
        "tension_before_1": "Tension before the session was {v}",
        "tension_after": "tension after averaged {v} over {n} sessions",
        "tension_after_1": "tension after was {v} in 1 session",
        "tension_after_only": "Tension after a session averaged {v} over {n} sessions",
        "tension_after_only_1": "Tension after the session was {v}",
        "tension_scale": "(0 = none, 10 = very high).",
        "tension_drop": "Rated before and after: {n} sessions, a mean drop of {v} points.",
        "tension_drop_1": "Rated before and after: 1 session, a drop of {v} points.",
        "tension_no_pairs": "No session was rated both before and after, so no drop can be given.",
        "trend": "Tension at the start of a session is {dir} over the period ({v} points per session).",
        "trend_down": "going down", "trend_up": "going up", "trend_level": "about level",
        "trial_h": "Trial treatment: the first {n} sessions",
        "trial_text": "In the first {size} sessions, {dropped} of the {n} sessions that were rated before and after showed a drop in tension; the mean drop was {v} points.",
        "trial_text_1": "In the first {size} sessions, 1 session was rated before and after: a drop in tension of {v} points.",
        "trial_none": "None of the first {size} sessions was rated both before and after yet.",
        "trial_note": "A trial treatment of about four sessions is judged by the degree of tension and whether complaints respond when tension drops. The device records how tense the patient felt before and after each session; it does not record complaints.",
        "adh_h": "Did the practice happen as planned?",
        "adh_note": "Bars: sessions per day; a day without practice shows as a gap. Dashed line: the plan. Adherence counts at most the planned number of sessions on a day.",
        "ten_h": "Tension before and after each session",
        "ten_note": "Red: before, blue: after; a grey line joins the two ratings of a session.",
        "tod_h": "When was practised?",
        "tod_note": "Start times by hour of the day.",
        "dur_h": "How long were the sessions?",
        "dur_note": "Minutes played per session, pauses left out; a black dash marks the planned length.",
        "proto_h": "Per exercise",
        "all_h": "All sessions",
        "no_chart": "Nothing to show here yet.",
        "undated": "{n} session(s) have no known date because the device clock was not set; they are counted but not shown by day or hour.",
        "made": "Made by ontspan on {date}.",
        "col_exercise": "exercise", "col_sessions": "sessions", "col_completed": "completed",
        "col_minutes": "mean minutes", "col_drop": "mean tension drop", "col_start": "start",
        "col_ended": "how it ended", "col_min": "minutes", "col_before": "tension before",
        "col_after": "after", "unknown": "unknown",
        "ax_sessions": "sessions", "ax_plan": "plan", "ax_minutes": "minutes",
        "ax_planned": "planned", "ax_hour": "hour of the day", "ax_before": "before",
        "ax_after": "after", "ax_tension": "tension (0 = none, 10 = very high)",
        "term_sessions": "sessions: {n} ({completed} completed, {pct})",
        "term_period": "period: {period}; plan {plan}/day, adherence {pct}",
        "term_trial": "trial (first {size} sessions): {dropped} of {n} rated showed a drop, mean drop {v}",
        "term_undated": "{n} session(s) without a known date (device clock not set)",
        "exercise_n": "protocol {n}",
        "patients": "{n} devices: one section each, never pooled.",
    },
    "nl": {
        "title": "Ontspan-oefenverslag",
        "device": "Apparaat",
        "period": "Periode",
        "period_days": "{first} t/m {last} ({days} dagen)",
        "period_one_day": "{first} (één dag)",
        "no_dated": "geen sessies met datum",
        "plan": "Plan: {n} sessies per dag.",
        "plan_1": "Plan: 1 sessie per dag.",
        "in_short": "In het kort",
        "no_sessions": "Nog geen afgeronde sessies in deze selectie.",
        "sessions_line": "{n} sessies, {completed} tot het eind gespeeld ({pct}).",
        "sessions_line_1": "1 sessie, {completed} tot het eind gespeeld ({pct}).",
        "outcomes_line": "Hoe ze eindigden: {list}.",
        "adherence_line": "Therapietrouw: {pct} van {planned} geplande sessies.",
        "adherence_line_1": "Therapietrouw: {pct} van 1 geplande sessie.",
        "tension_none": "Nog geen spanningscijfers.",
        "tension_before": "De spanning vóór een sessie was gemiddeld {v} over {n} sessies",
        "tension_before_1": "De spanning vóór de sessie was {v}",
        "tension_after": "erna was ze gemiddeld {v} over {n} sessies",
        "tension_after_1": "erna was ze {v} in 1 sessie",
        "tension_after_only": "De spanning na een sessie was gemiddeld {v} over {n} sessies",
        "tension_after_only_1": "De spanning na de sessie was {v}",
        "tension_scale": "(0 = geen, 10 = heel hoog).",
        "tension_drop": "Vóór en na beoordeeld: {n} sessies, gemiddeld {v} punten lager.",
        "tension_drop_1": "Vóór en na beoordeeld: 1 sessie, {v} punten lager.",
        "tension_no_pairs": "Geen sessie is vóór én na beoordeeld, dus een daling is nog niet te geven.",
        "trend": "De spanning bij het begin van een sessie {dir} over de periode ({v} punten per sessie).",
        "trend_down": "daalt", "trend_up": "stijgt", "trend_level": "blijft ongeveer gelijk",
        "trial_h": "Proefbehandeling: de eerste {n} sessies",
        "trial_text": "In de eerste {size} sessies daalde de spanning bij {dropped} van de {n} sessies die vóór en na beoordeeld zijn; gemiddeld {v} punten.",
        "trial_text_1": "In de eerste {size} sessies is 1 sessie vóór en na beoordeeld: de spanning daalde {v} punten.",
        "trial_none": "Nog geen van de eerste {size} sessies is vóór én na beoordeeld.",
        "trial_note": "Een proefbehandeling van ongeveer vier sessies wordt beoordeeld op de mate van spanning en of klachten reageren als de spanning daalt. Het apparaat legt vast hoe gespannen de patiënt zich vóór en na elke sessie voelde; klachten legt het niet vast.",
        "adh_h": "Is er geoefend zoals gepland?",
        "adh_note": "Staven: sessies per dag; een dag zonder oefening is een gat. Stippellijn: het plan. Therapietrouw telt per dag hoogstens het geplande aantal sessies.",
        "ten_h": "Spanning vóór en na elke sessie",
        "ten_note": "Rood: vóór, blauw: na; een grijze lijn verbindt de twee cijfers van een sessie.",
        "tod_h": "Wanneer is er geoefend?",
        "tod_note": "Begintijden per uur van de dag.",
        "dur_h": "Hoe lang duurden de sessies?",
        "dur_note": "Gespeelde minuten per sessie, zonder pauzes; een zwart streepje is de geplande lengte.",
        "proto_h": "Per oefening",
        "all_h": "Alle sessies",
        "no_chart": "Hier is nog niets te tonen.",
        "undated": "{n} sessie(s) hebben geen bekende datum omdat de klok van het apparaat niet gezet was; ze tellen mee maar staan niet per dag of uur.",
        "made": "Gemaakt door ontspan op {date}.",
        "col_exercise": "oefening", "col_sessions": "sessies", "col_completed": "voltooid",
        "col_minutes": "gem. minuten", "col_drop": "gem. daling spanning", "col_start": "begin",
        "col_ended": "hoe het eindigde", "col_min": "minuten", "col_before": "spanning vóór",
        "col_after": "na", "unknown": "onbekend",
        "ax_sessions": "sessies", "ax_plan": "plan", "ax_minutes": "minuten",
        "ax_planned": "gepland", "ax_hour": "uur van de dag", "ax_before": "vóór",
        "ax_after": "na", "ax_tension": "spanning (0 = geen, 10 = heel hoog)",
        "term_sessions": "sessies: {n} ({completed} voltooid, {pct})",
        "term_period": "periode: {period}; plan {plan}/dag, therapietrouw {pct}",
        "term_trial": "proef (eerste {size} sessies): bij {dropped} van {n} beoordeelde daalde de spanning, gemiddeld {v}",
        "term_undated": "{n} sessie(s) zonder bekende datum (klok van het apparaat niet gezet)",
        "exercise_n": "protocol {n}",
        "patients": "{n} apparaten: elk een eigen deel, nooit samengeteld.",
    },
}
for _lang, _words in PATIENT_WORDS.items():
    _T[_lang].update(_words)
assert _T["en"].keys() == _T["nl"].keys()


def default_lang() -> str:
    """nl when the system locale is Dutch, else en."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = os.environ.get(var)
        if v:
            return "nl" if v.lower().startswith("nl") else "en"
    return "en"


class Words:
    """The report's words in one language."""

    def __init__(self, lang: str):
        if lang not in LANGS:
            from ..errors import InputError

            raise InputError(f"unknown language {lang!r} (nl or en)")
        self.lang = lang

    def __call__(self, key: str, **kw: object) -> str:
        words = _T[self.lang]
        if kw.get("n") == 1 and key + "_1" in words:
            key += "_1"  # the singular: "1 session", "1 sessie"
        return words[key].format(**kw)

    def outcome(self, name: str) -> str:
        return OUTCOMES[self.lang].get(name, name)

    def num(self, x: float, fmt: str = "{:.1f}") -> str:
        s = fmt.format(x)
        return s.replace(".", ",") if self.lang == "nl" else s

    def pct(self, x: float) -> str:
        return f"{100 * x:.0f}%"
