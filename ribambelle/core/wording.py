"""French wording around names: elision ("d'Emma", "qu'Hugo") and an organisation's article
("de la Communauté de communes…", "du Syndicat…").

Names are typed by people, so the rule is applied when the sentence is built, never stored.
In another language the preposition comes from the catalogue and no elision is made.
"""

import unicodedata

from django.utils.translation import get_language, pgettext

# Words whose "h" is aspirated: no elision before them ("de Hautefort", "le Hameau").
ASPIRATED_H = ("haut", "hameau", "halle", "hangar", "hérisson", "hêtre", "hollande", "hongrie", "hurepoix")
VOWELS = "aeiouœæ"

# An organisation's article guessed from its first word; anything else (a town's own name) has none.
ARTICLES_WRITTEN = {
    "communauté": "la",
    "commune": "la",
    "ville": "la",
    "mairie": "la",
    "métropole": "la",
    "régie": "la",
    "caisse": "la",
    "syndicat": "le",
    "sivom": "le",
    "sivu": "le",
    "centre": "le",
    "conseil": "le",
    "département": "le",
    "pôle": "le",
    "service": "le",
    "agglomération": "l'",
    "association": "l'",
    "établissement": "l'",
    "office": "l'",
    "union": "l'",
    # Structures ("Réponse de l'Accueil de loisirs de Bioule", "Familles du Multi-accueil").
    "accueil": "l'",
    "multi": "le",
    "relais": "le",
    "espace": "l'",
    "crèche": "la",
    "halte": "la",
    "école": "l'",
    "restaurant": "le",
    "restauration": "la",
    "périscolaire": "le",
    "cantine": "la",
    "maison": "la",
    "club": "le",
    "séjour": "le",
}
CONTRACTIONS = {("de", "le"): "du", ("de", "les"): "des", ("à", "le"): "au", ("à", "les"): "aux"}


def _plain(text: str) -> str:
    """Lower case without accents: "Élise" → "elise", "Œdipe" → "œdipe"."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


ARTICLES = {_plain(word): article for word, article in ARTICLES_WRITTEN.items()}


def starts_with_vowel_sound(word: str) -> bool:
    """Whether French elides before this word: a vowel, a mute h (Hugo, Hélène), or a "y" that is
    a vowel (Yves, but not Yann nor Yasmine, where it sounds as a consonant)."""
    plain = _plain(word)
    if not plain:
        return False
    first = plain[0]
    if first in VOWELS:
        return True
    if first == "h":
        return not plain.startswith(ASPIRATED_H)
    if first == "y":
        return len(plain) > 1 and plain[1] not in VOWELS + "y"
    return False


def _is_french() -> bool:
    return (get_language() or "fr").startswith("fr")


def elide(word: str, text: str, *, french: bool | None = None) -> str:
    """ "de" + "Emma" → "d'Emma"; "que" + "Yann" → "que Yann"; "le" + "Hameau" → "le Hameau"."""
    if (_is_french() if french is None else french) and word.lower() in (
        "de",
        "que",
        "le",
        "la",
        "je",
        "ne",
        "me",
        "te",
        "se",
        "ce",
        "jusque",
    ):
        if starts_with_vowel_sound(text):
            return f"{word[:-1]}'{text}"
    return f"{word} {text}"


def of(name) -> str:
    """ "de Léa", "d'Emma" — or the catalogue's word in another language ("of Emma")."""
    name = str(name)
    preposition = pgettext("préposition devant un nom", "de")
    return elide(preposition, name) if _is_french() else f"{preposition} {name}"


def _full_name(organisation) -> str:
    return (organisation if isinstance(organisation, str) else organisation.name).strip()


def _leading_article(full_name: str) -> str:
    """ "Les Villes du Lot" starts with its own article: "des Villes du Lot", never "des Les…"."""
    lowered = full_name.lower()
    for article in ("les ", "le ", "la ", "l'", "l’"):
        if lowered.startswith(article):
            return article.strip().replace("’", "'")
    return ""


def _name(organisation) -> str:
    full_name = _full_name(organisation)
    return full_name[len(_leading_article(full_name)) :].lstrip() if _leading_article(full_name) else full_name


def de(name) -> str:
    """Always French ("d'Emma"): for texts stored in French whatever the reader's language
    (the family's history, audit descriptions)."""
    return elide("de", str(name), french=True)


def organisation_article(organisation) -> str:
    """The organisation's article: its own setting if any, else guessed from its first word.
    A bare name (a GDPR controller typed as text) is guessed the same way."""
    chosen = getattr(organisation, "article", "") or _leading_article(_full_name(organisation))
    if chosen:
        return "" if chosen == "-" else chosen
    words = _plain(_name(organisation)).replace("-", " ").split()
    return ARTICLES.get(words[0], "") if words else ""


def with_article(organisation) -> str:
    """ "la Communauté de communes…", "l'Agglomération…", "Nègrepelisse"."""
    name = _name(organisation)
    article = organisation_article(organisation)
    if not article or not _is_french():
        return _full_name(organisation)
    if article == "l'" or (article in ("le", "la") and starts_with_vowel_sound(name)):
        return f"l'{name}"
    return f"{article} {name}"


def of_organisation(organisation) -> str:
    """ "de la Communauté de communes…", "du Syndicat…", "des Villes…", "d'Albi"."""
    name = _name(organisation)
    if not _is_french():
        return of(_full_name(organisation))
    article = organisation_article(organisation)
    named = with_article(organisation)
    if article in ("le", "les") and not named.startswith("l'"):
        return f"{CONTRACTIONS[('de', article)]} {name}"
    return elide("de", named)


def registered(person) -> str:
    """ "inscrit" / "inscrite" from the child's sex; "inscrit(e)" when it is not known."""
    sex = getattr(person, "sex", "")
    if sex == "M":
        return pgettext("enfant, masculin", "inscrit")
    if sex == "F":
        return pgettext("enfant, féminin", "inscrite")
    return pgettext("enfant, sexe inconnu", "inscrit(e)")
