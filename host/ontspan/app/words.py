"""The app's own words in Dutch and English (the report keeps its own, report/text.py).
`?lang=nl` or `?lang=en` on any page chooses, and a cookie keeps the choice."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

from ..report.text import LANGS, default_lang
from .security import CSRF_FIELD, CSRF_HEADER

LANG_COOKIE = "ontspan_lang"

_T: dict[str, tuple[str, str]] = {  # key: (English, Dutch)
    "app": ("Ontspan", "Ontspan"),
    "patients": ("Patients", "Patiënten"),
    "patient": ("Patient", "Patiënt"),
    "library": ("Library", "Bibliotheek"),
    "device": ("Device", "Apparaat"),
    "device_plugged": ("The device plugged in", "Het aangesloten apparaat"),
    "language": ("Nederlands", "English"),
    "print": ("Print", "Afdrukken"),
    "name": ("Name", "Naam"),
    "note": ("Note", "Notitie"),
    "add_patient": ("Add patient", "Patiënt toevoegen"),
    "add": ("Add", "Toevoegen"),
    "no_patients": ("No patients yet: add the first one below.",
                    "Nog geen patiënten: voeg hieronder de eerste toe."),
    "block": ("Block", "Blok"),
    "day_of": ("day {n} of {m}", "dag {n} van {m}"),
    "no_plan": ("no plan", "geen plan"),
    "last_pull": ("Last pull", "Laatst opgehaald"),
    "never": ("never", "nooit"),
    "connected": ("Connected now", "Nu aangesloten"),
    "yes": ("yes", "ja"),
    "no": ("no", "nee"),
    "none": ("none", "geen"),
    "link_device": ("Link the connected device", "Koppel het aangesloten apparaat"),
    "unlink": ("Unlink", "Ontkoppelen"),
    "no_device": ("No device linked.", "Geen apparaat gekoppeld."),
    "status": ("Status", "Status"),
    "not_connected": ("not connected", "niet aangesloten"),
    "not_answering": ("plugged in, not answering as Ontspan", "aangesloten, antwoordt niet als Ontspan"),
    "port": ("Port", "Poort"),
    "port_auto": ("found by itself (the Pico plugged in)", "vanzelf gevonden (de aangesloten Pico)"),
    "use_port": ("Use", "Gebruik"),
    "firmware": ("Firmware", "Firmware"),
    "firmware_older": ("older than this ontspan: update it", "ouder dan deze ontspan: bijwerken"),
    "install": ("Install or update firmware", "Firmware installeren of bijwerken"),
    "clock": ("Clock", "Klok"),
    "set_clock": ("Set the clock to this computer's", "Klok gelijkzetten met deze computer"),
    "clock_set": ("set", "gezet"),
    "clock_unset": ("not set since the device started", "niet gezet sinds het apparaat startte"),
    "settings": ("Settings", "Instellingen"),
    "night_start": ("Night from (hour)", "Nacht vanaf (uur)"),
    "night_end": ("Night until (hour)", "Nacht tot (uur)"),
    "touch_strength": ("Motor strength (0-255, -1: the protocol's)",
                       "Sterkte motor (0-255, -1: die van het protocol)"),
    "save": ("Save", "Opslaan"),
    "night_hours": ("night {a}:00 to {b}:00", "nacht {a}:00 tot {b}:00"),
    "strength_now": ("motor strength {n}", "motorsterkte {n}"),
    "strength_protocol": ("motor strength of each protocol", "motorsterkte van elk protocol"),
    "feel": ("Feel a cue", "Voel een prikkel"),
    "feel_help": ("Plays one cue on the motor now, at the strength above.",
                  "Speelt nu één prikkel op de motor, met de sterkte hierboven."),
    "cue_tense": ("tense", "aanspannen"), "cue_release": ("release", "loslaten"),
    "cue_in": ("breathe in", "inademen"), "cue_hold": ("hold", "vasthouden"),
    "cue_out": ("breathe out", "uitademen"), "cue_position": ("position", "positie"),
    "cue_rest": ("rest", "rust"), "cue_check": ("body check", "lijf-check"),
    "cue_end": ("end", "einde"),
    "protocols_on_device": ("Protocols on the device", "Protocollen op het apparaat"),
    "load": ("Load onto the device", "Op het apparaat zetten"),
    "load_help": ("The protocols checked and the plan go onto the device together.",
                  "De aangevinkte protocollen en het plan gaan samen op het apparaat."),
    "protocols": ("Protocols", "Protocollen"),
    "own_files": ("The patient's own protocol files or folders on this computer, one a line",
                  "Eigen protocolbestanden of mappen van de patiënt op deze computer, één per regel"),
    "installs": ("this ontspan installs firmware {v}", "deze ontspan installeert firmware {v}"),
    "plan": ("Plan", "Plan"),
    "start": ("Start", "Start"),
    "end": ("Last day with reminders (optional)", "Laatste dag met herinneringen (optioneel)"),
    "weeks": ("Weeks before judging", "Weken voor de beoordeling"),
    "trial": ("Trial sessions", "Proefsessies"),
    "moments": ("Moments", "Momenten"),
    "time": ("Time", "Tijd"),
    "protocol": ("Protocol", "Protocol"),
    "days": ("Days", "Dagen"),
    "window": ("Reminder (min)", "Herinnering (min)"),
    "week_view": ("The week", "De week"),
    "rating": ("Rating asked", "Cijfer gevraagd"),
    "rating_as_protocol": ("as the protocol", "zoals het protocol"),
    "rating_as_both": ("before and after", "voor en na"),
    "rating_as_after": ("after", "na"),
    "rating_as_none": ("none", "geen"),
    "rating_days": ("first days", "eerste dagen"),
    "pull": ("Pull logs", "Logboek ophalen"),
    "report": ("Report", "Rapport"),
    "no_report": ("No sessions pulled yet.", "Nog geen sessies opgehaald."),
    "export_csv": ("Export CSV", "Exporteer CSV"),
    "export_json": ("Export JSON", "Exporteer JSON"),
    "print_view": ("Print view", "Afdrukweergave"),
    "kind": ("Kind", "Soort"),
    "kind_pmr": ("muscle relaxation", "spierontspanning"),
    "kind_breathing": ("breathing", "ademhaling"),
    "kind_check": ("body check", "lijf-check"),
    "kind_ritual": ("ritual", "ritueel"),
    "kind_rest": ("rest", "rust"),
    "linked_device": ("Linked device", "Gekoppeld apparaat"),
    "minutes": ("Minutes", "Minuten"),
    "asks": ("Asks", "Vraagt"),
    "title": ("Title", "Titel"),
    "preview": ("Preview", "Voorbeeld"),
    "rating_none": ("no rating", "geen cijfer"),
    "rating_after": ("tension after", "spanning na"),
    "rating_before_after": ("tension before and after", "spanning voor en na"),
    "busy": ("busy", "bezig"),
    "working": ("working", "bezig"),
    "done": ("done", "klaar"),
    "state_idle": ("idle", "in rust"),
    "state_playing": ("playing a session", "speelt een sessie"),
    "state_paused": ("session paused", "sessie gepauzeerd"),
    "state_rating": ("asking the tension rating", "vraagt het spanningscijfer"),
    "state_reminder": ("a reminder glows", "een herinnering gloeit"),
    "elapsed": ("{a} in, {b} to go", "{a} bezig, nog {b}"),
    "refused": ("Refused", "Geweigerd"),
    "skip": ("Skip to content", "Naar de inhoud"),
    # a device lost mid-action (app/desk.py), by action or load stage
    "lost_flash": ("lost the device during flash; nothing was changed; plug it in and try again",
                   "apparaat kwijt tijdens het laden; er is niets veranderd; sluit het aan en "
                   "probeer het opnieuw"),
    "lost_plan": ("lost the device while storing the plan; the protocols are on it, the plan is "
                  "not; plug it in and load again",
                  "apparaat kwijt tijdens het opslaan van het plan; de protocollen staan erop, "
                  "het plan niet; sluit het aan en laad opnieuw"),
    "lost_readback": ("lost the device after loading; protocols and plan are on it; plug it in to "
                      "see them", "apparaat kwijt na het laden; protocollen en plan staan erop; "
                      "sluit het aan om ze te zien"),
    "lost_pull": ("lost the device during pull; every record pulled so far is in the archive; "
                  "plug it in and pull again",
                  "apparaat kwijt tijdens het ophalen; alles wat al opgehaald was staat in het "
                  "archief; sluit het aan en haal opnieuw op"),
    "lost_install": ("lost the device during install; plug it in and install again (that "
                     "repairs an interrupted install)",
                     "apparaat kwijt tijdens het installeren; sluit het aan en installeer opnieuw "
                     "(dat herstelt een onderbroken installatie)"),
    "protocols_of": ("Protocols of", "Protocollen van"),
    "own_protocols": ("Own protocols", "Eigen protocollen"),
    "no_own_protocols": ("No protocols of their own yet: start from a library protocol.",
                         "Nog geen eigen protocollen: begin bij een protocol uit de bibliotheek."),
    "start_from_library": ("Start from the library", "Beginnen bij de bibliotheek"),
    "new_name": ("New name", "Nieuwe naam"),
    "edit": ("Edit", "Bewerken"),
    "protocol_editor": ("Protocol", "Protocol"),
    "light": ("Light", "Licht"),
    "touch": ("Touch", "Aanraking"),
    "saved": ("saved", "opgeslagen"),
    "unsaved": ("not saved yet", "nog niet opgeslagen"),
    "errors": ("error(s)", "fout(en)"),
    "feel_it": ("Feel", "Voel"),
    "feel_block": ("Feel this block", "Voel dit blok"),
    "remove": ("Remove", "Weghalen"),
    "rhythm": ("Rhythm", "Ritme"),
    "seconds_per_unit": ("seconds per unit", "seconden per tel"),
    "per_minute": ("per minute", "per minuut"),
    "breaths_per_minute": ("breaths per minute", "ademhalingen per minuut"),
    "proportions": ("proportions: the ramp sets the rate", "verhoudingen: de ramp bepaalt het tempo"),
    "apply": ("Apply", "Toepassen"),
    "add_ramp": ("Add a ramp", "Ramp toevoegen"),
    "add_group": ("Add a group", "Groep toevoegen"),
    "add_block": ("Add a block", "Blok toevoegen"),
    "preview_note": ("As the device plays it: light and touch, day and night.",
                     "Zoals het apparaat het speelt: licht en aanraking, dag en nacht."),
    "no_preview": ("No preview while the protocol has errors.",
                   "Geen voorbeeld zolang het protocol fouten heeft."),
    "edit_protocols": ("Protocols of this patient", "Protocollen van deze patiënt"),
}
WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
            "nl": ("ma", "di", "wo", "do", "vr", "za", "zo")}


def lost_lines() -> dict[str, str]:
    """flash, plan, pull, install -> the English line a lost device leaves."""
    return {k.removeprefix("lost_"): en for k, (en, _) in _T.items() if k.startswith("lost_")}


def lang() -> str:
    return str(g.get("lang") or current_app.config["LANG"] or default_lang())


def t(key: str, **kw: object) -> str:
    en, nl = _T[key]
    return (nl if lang() == "nl" else en).format(**kw)


def _choose() -> None:
    asked = request.args.get("lang")
    kept = request.cookies.get(LANG_COOKIE)
    g.lang = asked if asked in LANGS else kept if kept in LANGS else None
    g.lang_asked = asked in LANGS


def _keep(resp: Response) -> Response:
    if g.get("lang_asked"):
        resp.set_cookie(LANG_COOKIE, g.lang, httponly=True, samesite="Strict", path="/")
    return resp


def init(app: Flask) -> None:
    app.before_request(_choose)
    app.after_request(_keep)

    @app.context_processor
    def _words() -> dict[str, object]:
        return {"t": t, "lang": lang(), "weekdays": WEEKDAYS[lang()],
                "csrf": current_app.config["CSRF"], "csrf_field": CSRF_FIELD,
                "csrf_header": CSRF_HEADER}
