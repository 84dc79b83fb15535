"""CSV import of families, adults and children, as other software exports them: one row
per person, rows of one household sharing a family key (cle_famille).

`parse` reads and checks everything and writes nothing: the preview lists each row's
problems in French. `import_families` writes all of it in one transaction, or nothing.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit

from .models import ChangeKind, ChangeRequest, ChangeStatus, Family, Person, PersonRole, SchoolLevel, phone_validator
from .search import build_search_text, fold

MAX_ROWS = 5000
COLUMNS = {
    # canonical name: accepted header spellings (folded, spaces/hyphens as "_")
    "cle_famille": {"cle_famille", "cle", "code_famille", "id_famille", "num_famille", "numero_famille"},
    "nom_famille": {"nom_famille", "famille"},
    "adresse": {"adresse", "adresse_1", "rue"},
    "complement_adresse": {"complement_adresse", "adresse_2", "complement"},
    "code_postal": {"code_postal", "cp"},
    "commune": {"commune", "ville"},
    "telephone_famille": {"telephone_famille", "tel_famille", "telephone_domicile", "tel_domicile"},
    "email_famille": {"email_famille", "mail_famille", "courriel_famille"},
    "quotient_familial": {"quotient_familial", "qf"},
    "numero_allocataire": {"numero_allocataire", "num_allocataire", "allocataire"},
    "role": {"role", "qualite", "lien", "type"},
    "nom": {"nom", "nom_individu"},
    "prenom": {"prenom", "prenom_individu"},
    "date_naissance": {"date_naissance", "date_de_naissance", "naissance", "ne_le"},
    "sexe": {"sexe", "genre"},
    "telephone": {"telephone", "tel", "portable", "telephone_portable", "mobile"},
    "email": {"email", "e_mail", "mail", "courriel"},
    "ecole": {"ecole", "etablissement"},
    "classe": {"classe", "niveau"},
}
REQUIRED = ("cle_famille", "role", "nom", "prenom")
ADULT_WORDS = {"responsable", "responsable_legal", "parent", "adulte", "pere", "mere", "tuteur", "tutrice"}
CHILD_WORDS = {"enfant", "fils", "fille"}
SEX_WORDS = {"f": "F", "fille": "F", "femme": "F", "feminin": "F", "m": "M", "garcon": "M", "homme": "M"}
SEX_WORDS["masculin"] = "M"
LEVELS = {fold(label).replace(" ", ""): value for value, label in SchoolLevel.choices if value}
LEVELS.update({fold(value): value for value in SchoolLevel.values if value})
FAMILY_COLUMNS = {
    "nom_famille": "name",
    "adresse": "address_line",
    "complement_adresse": "address_line_2",
    "code_postal": "postal_code",
    "commune": "city",
    "telephone_famille": "phone",
    "email_famille": "email",
    "quotient_familial": "family_quotient",
    "numero_allocataire": "allocataire_number",
}
MOJIBAKE = re.compile(r"Ã[\u0080-\u00bf]|Ã©|Ã¨|Ã§|Ã |Â°|Â\u00a0|â€")


@dataclass
class ParsedFamily:
    key: str
    values: dict = field(default_factory=dict)
    adults: list = field(default_factory=list)
    children: list = field(default_factory=list)
    first_line: int = 0


@dataclass
class ImportPreview:
    families: list[ParsedFamily] = field(default_factory=list)
    errors: list[tuple[int, list[str]]] = field(default_factory=list)  # (line, messages); line 0 = whole file
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.families)

    @property
    def adults_count(self) -> int:
        return sum(len(f.adults) for f in self.families)

    @property
    def children_count(self) -> int:
        return sum(len(f.children) for f in self.families)


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def decode(raw: bytes, encoding: str) -> str:
    """Bytes -> text, or a DomainError saying in French what is wrong and what to choose."""
    if raw.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8" if encoding == "auto" else encoding
    if encoding in ("auto", "utf-8"):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if encoding == "utf-8":
                raise DomainError(
                    _(
                        "Le fichier n'est pas encodé en UTF-8 (caractère illisible ligne %(line)s). "
                        "S'il vient d'Excel sous Windows, choisissez l'encodage « Windows-1252 » ou "
                        "« Détection automatique »."
                    )
                    % {"line": _line_of(raw, error.start)}
                ) from error
            encoding = "cp1252"
        else:
            encoding = "utf-8"
    if encoding == "cp1252":
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as error:
            raise DomainError(
                _(
                    "Le fichier contient des caractères illisibles (ligne %(line)s) : "
                    "enregistrez-le en « CSV UTF-8 » depuis votre tableur et recommencez."
                )
                % {"line": _line_of(raw, error.start)}
            ) from error
    for number, line in enumerate(text.splitlines(), start=1):
        match = MOJIBAKE.search(line)
        if match:
            raise DomainError(
                _(
                    "Ligne %(line)s : caractères mal encodés (« %(chars)s »). Le fichier a été lu avec le "
                    "mauvais encodage ou converti deux fois : choisissez l'autre encodage, ou enregistrez-le en "
                    "« CSV UTF-8 » depuis votre tableur."
                )
                % {"line": number, "chars": match.group(0)}
            )
    return text


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-']+", "_", fold(name).strip())


def _parse_date(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse(raw: bytes, *, organisation, encoding: str = "auto") -> ImportPreview:
    preview = ImportPreview()
    try:
        text = decode(raw, encoding)
    except DomainError as error:
        preview.errors.append((0, [error.message]))
        return preview
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        preview.errors.append((0, [_("Le fichier est vide : la première ligne doit donner le nom des colonnes.")]))
        return preview
    header_line = lines[0]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    headers = next(reader)
    columns: dict[int, str] = {}
    unknown = []
    for index, header in enumerate(headers):
        key = _header_key(header)
        if not key:
            continue
        canonical = next((name for name, spellings in COLUMNS.items() if key in spellings), None)
        if canonical is None:
            unknown.append(header.strip())
        elif canonical in columns.values():
            preview.errors.append(
                (1, [_("La colonne « %(column)s » apparaît deux fois.") % {"column": header.strip()}])
            )
        else:
            columns[index] = canonical
    if unknown:
        preview.errors.append(
            (
                1,
                [
                    _("Colonnes inconnues : %(unknown)s. Colonnes acceptées : %(accepted)s.")
                    % {"unknown": ", ".join(f"« {u} »" for u in unknown), "accepted": ", ".join(COLUMNS)}
                ],
            )
        )
    missing = [name for name in REQUIRED if name not in columns.values()]
    if missing:
        preview.errors.append(
            (1, [_("Colonnes obligatoires absentes : %(columns)s.") % {"columns": ", ".join(missing)}])
        )
    if preview.errors:
        return preview

    existing = set(
        Family.objects.filter(organisation=organisation).exclude(external_ref="").values_list("external_ref", flat=True)
    )
    families: dict[str, ParsedFamily] = {}
    today = timezone.localdate()
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        preview.rows += 1
        if preview.rows > MAX_ROWS:
            preview.errors.append(
                (line_number, [_("Plus de %(max)s lignes : découpez le fichier.") % {"max": MAX_ROWS}])
            )
            break
        problems = []
        if len(cells) > len(headers):
            problems.append(
                _("%(values)s valeurs pour %(columns)s colonnes : vérifiez le séparateur ou les guillemets.")
                % {"values": len(cells), "columns": len(headers)}
            )
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in columns.items()}
        key = row["cle_famille"]
        if not key:
            problems.append(_("la clé famille (cle_famille) est vide."))
        elif key in existing:
            problems.append(_("la famille de clé « %(key)s » a déjà été importée.") % {"key": key})
        role_word = _header_key(row["role"])
        if role_word in ADULT_WORDS:
            role = PersonRole.ADULT
        elif role_word in CHILD_WORDS:
            role = PersonRole.CHILD
        else:
            role = None
            problems.append(
                _("rôle « %(role)s » inconnu : indiquez « responsable » ou « enfant ».") % {"role": row["role"]}
            )
        if not row["nom"]:
            problems.append(_("le nom est vide."))
        if not row["prenom"]:
            problems.append(_("le prénom est vide."))
        person = {"first_name": row["prenom"][:120], "last_name": row["nom"][:120]}
        if role == PersonRole.ADULT and role_word in {"pere", "mere", "tuteur", "tutrice"}:
            person["relationship"] = row["role"].strip().capitalize()
        birth = row.get("date_naissance", "")
        if birth:
            try:
                born = _parse_date(birth)
            except ValueError:
                problems.append(
                    _("date de naissance « %(date)s » impossible (format attendu JJ/MM/AAAA).") % {"date": birth}
                )
            else:
                if born > today:
                    problems.append(_("date de naissance « %(date)s » dans le futur.") % {"date": birth})
                elif born.year < 1900:
                    problems.append(_("date de naissance « %(date)s » trop ancienne.") % {"date": birth})
                else:
                    person["birth_date"] = born
        elif role == PersonRole.CHILD:
            problems.append(_("la date de naissance de l'enfant est vide."))
        sex = row.get("sexe", "")
        if sex:
            if _header_key(sex) in SEX_WORDS:
                person["sex"] = SEX_WORDS[_header_key(sex)]
            else:
                problems.append(_("sexe « %(sex)s » inconnu : indiquez F ou M.") % {"sex": sex})
        for column in ("email", "email_famille"):
            if row.get(column):
                try:
                    validate_email(row[column])
                except ValidationError:
                    problems.append(_("e-mail « %(email)s » invalide.") % {"email": row[column]})
        for column in ("telephone", "telephone_famille"):
            if row.get(column):
                try:
                    phone_validator(row[column])
                except ValidationError:
                    problems.append(_("téléphone « %(phone)s » invalide.") % {"phone": row[column]})
        if row.get("email"):
            person["email"] = row["email"].lower()
        if row.get("telephone"):
            person["phone"] = row["telephone"]
        if role == PersonRole.CHILD:
            person["school"] = row.get("ecole", "")[:150]
            level = row.get("classe", "")
            if level:
                folded = _header_key(level).replace("_", "")
                if folded in LEVELS:
                    person["school_level"] = LEVELS[folded]
                else:
                    problems.append(
                        _("classe « %(level)s » inconnue (ex. : PS, MS, GS, CP, CE1, CM2, 6e).") % {"level": level}
                    )
        family_values = {}
        for column, field_name in FAMILY_COLUMNS.items():
            value = row.get(column, "")
            if not value:
                continue
            if field_name == "family_quotient":
                try:
                    value = Decimal(value.replace(" ", "").replace(",", "."))
                    if value < 0:
                        raise InvalidOperation
                except InvalidOperation:
                    problems.append(_("quotient familial « %(value)s » invalide.") % {"value": row[column]})
                    continue
            family_values[field_name] = value
        if problems:
            preview.errors.append((line_number, problems))
            continue
        parsed = families.get(key)
        if parsed is None:
            parsed = families[key] = ParsedFamily(key=key, first_line=line_number)
        for name, value in family_values.items():
            previous = parsed.values.get(name)
            if previous not in (None, "") and previous != value:
                preview.errors.append(
                    (
                        line_number,
                        [
                            _("%(column)s « %(value)s » différent de la ligne %(line)s (%(previous)s).")
                            % {"column": name, "value": value, "line": parsed.first_line, "previous": previous}
                        ],
                    )
                )
            else:
                parsed.values[name] = value
        (parsed.adults if role == PersonRole.ADULT else parsed.children).append(person)
    for parsed in families.values():
        if not parsed.adults:
            preview.errors.append(
                (
                    parsed.first_line,
                    [
                        _("la famille « %(key)s » n'a aucun responsable légal (rôle « responsable »).")
                        % {"key": parsed.key}
                    ],
                )
            )
        parsed.values.setdefault(
            "name", (parsed.adults or parsed.children or [{"last_name": parsed.key}])[0]["last_name"]
        )
        parsed.values["name"] = parsed.values["name"].upper()[:150]
    preview.errors.sort(key=lambda item: item[0])
    preview.families = list(families.values())
    if not preview.families and not preview.errors:
        preview.errors.append((0, [_("Le fichier ne contient aucune ligne de données.")]))
    return preview


@action
def import_families(*, organisation, preview: ImportPreview, acting_user) -> list[int]:
    """Create every family of a clean preview in one transaction. Returns the new adults' IDs."""
    if not preview.ok:
        raise DomainError(_("Le fichier contient des erreurs : corrigez-les avant d'importer."))
    with transaction.atomic():
        keys = [f.key for f in preview.families]
        if Family.objects.filter(organisation=organisation, external_ref__in=keys).exists():
            raise DomainError(_("Certaines familles de ce fichier ont été importées entre-temps : relancez l'aperçu."))
        families = []
        for parsed in preview.families:
            family = Family(organisation=organisation, external_ref=parsed.key, **parsed.values)
            members = [Person(**p) for p in parsed.adults + parsed.children]
            family.search_text = build_search_text(family, members)
            families.append(family)
        Family.objects.bulk_create(families)
        people = []
        for family, parsed in zip(families, preview.families, strict=True):
            for role, rows in ((PersonRole.ADULT, parsed.adults), (PersonRole.CHILD, parsed.children)):
                people += [Person(organisation=organisation, family=family, role=role, **row) for row in rows]
        Person.objects.bulk_create(people)
        ChangeRequest.objects.bulk_create(
            ChangeRequest(
                organisation=organisation,
                family=family,
                kind=ChangeKind.PERSON_ADD,
                subject=f"Dossier {family.name} créé par import (clé {family.external_ref})",
                changes={},
                status=ChangeStatus.APPLIED,
                by_staff=True,
                requested_by=acting_user,
                decided_by=acting_user,
                decided_at=timezone.now(),
            )
            for family in families
        )
        for family in families:
            log_family_action(family=family, user=acting_user, action="family_import")
        record_audit(
            organisation=organisation,
            actor=acting_user,
            action="import",
            obj=organisation,
            changes={"families": len(families), "persons": len(people)},
        )
    return [p.pk for p in people if p.role == PersonRole.ADULT and p.email]
