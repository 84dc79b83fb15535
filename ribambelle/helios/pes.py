"""The PES V2 ORMC file (DGFiP *Dossier technique PES V2*; shared/reference/helios-pes.md §2),
written incrementally with lxml's `xmlfile` so memory stays flat whatever the number of
invoices: the header, then one `Piece` per article, then one `PJ` per invoice PDF.

Values sit in attributes `V`. Texts are upper-case ASCII, cut to the schema's lengths, and
escaped by lxml. This module only writes: what goes in comes from services.export_pes."""

import base64
import gzip
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from lxml import etree

NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
SIGLE = "RIBAMBELLE"
SOFTWARE = "RIBAMBELLE 0.1"
XSD_PATH = Path(__file__).resolve().parent / "xsd" / "pes_ormc_subset.xsd"
ENCODING = "ISO-8859-1"  # as the open-source generators write it (reference fact 15)

# Letters NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS", "’": "'", "‘": "'"})
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r"\s+")


def pes_text(value: str, length: int) -> str:
    """Upper-case ASCII without accents, spaces collapsed, cut to `length`."""
    text = unicodedata.normalize("NFKD", (value or "").translate(_LIGATURES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NOT_PRINTABLE_ASCII.sub(" ", text)
    return _SPACES.sub(" ", text).strip().upper()[:length].strip()


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def day(value: date) -> str:
    return value.isoformat()


@dataclass
class Line:
    product_code: str
    label: str
    amount: Decimal


@dataclass
class Debit:
    """An active mandate: the Trésor debits the article (InfoPrelevementSEPA)."""

    debit_date: date
    sequence: str  # 02 FRST, 03 RCUR
    signed_on: date
    rum: str
    label: str
    bic: str
    iban: str
    holder: str


@dataclass
class Article:
    invoice_id: int
    piece_number: int
    num_dette: str
    subject: str
    payer_ref: str
    civility: str
    last_name: str
    first_name: str
    debtor_category: str
    address: str
    postal_code: str
    city: str
    attachment_id: str
    attachment_name: str
    lines: list[Line] = field(default_factory=list)
    debit: Debit | None = None

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass
class Header:
    file_name: str
    issued_on: date
    id_post: str
    siret: str
    cod_col: str
    cod_bud: str
    budget_label: str
    exercice: int
    roll_number: int
    piece_count: int
    total: Decimal
    subject: str
    nature: str
    edition: str  # "" or "06"
    attachment_type: str  # 010 printed by DGFiP, 011 attached document


def _v(tag: str, value) -> etree._Element:
    return etree.Element(tag, V=str(value))


def _block(tag: str, *children) -> etree._Element:
    element = etree.Element(tag)
    element.extend(child for child in children if child is not None)
    return element


def _piece(header: Header, article: Article) -> etree._Element:
    bloc = _block(
        "BlocPiece",
        _v("IdPce", article.piece_number),
        _v("TypPce", "15"),
        _v("NatPce", "01"),
        _v("Edition", header.edition) if header.edition else None,
        _v("ObjPce", pes_text(article.subject, 160)),
        _v("NumDette", article.num_dette),
        _v("Per", "1"),
        _block(
            "PJRef",
            _v("Support", "01"),
            _v("IdUnique", article.attachment_id),
            _v("NomPJ", article.attachment_name),
            _v("TypePJ", header.attachment_type),
        ),
    )
    piece = _block("Piece", bloc)
    debit = article.debit
    for number, line in enumerate(article.lines, start=1):
        info = _block(
            "InfoLignePiece",
            _v("IdLigne", number),
            _v("ObjLignePce", pes_text(line.label, 160)),
            _v("CodProdLoc", pes_text(line.product_code, 4)),
            _v("Nature", header.nature),
            _v("Majo", "0"),
            _v("TvaIntraCom", "0"),
            _v("MtHT", money(line.amount)),
        )
        sepa = None
        if debit is not None:
            sepa = _block(
                "InfoPrelevementSEPA",
                _v("NatPrel", "01"),
                _v("PerPrel", "07"),
                _v("DtePrel", day(debit.debit_date)),
                _v("MtPrel", money(line.amount)),
                _v("SequencePres", debit.sequence),
                _v("DateSignMandat", day(debit.signed_on)),
                _v("RefUniMdt", debit.rum[:35]),
                _v("LibPrel", pes_text(debit.label, 140)),
            )
        tiers = _block(
            "Tiers",
            _block(
                "InfoTiers",
                _v("RefTiers", pes_text(article.payer_ref, 30)),
                _v("CatTiers", article.debtor_category),
                _v("NatJur", article.debtor_category),
                _v("TypTiers", "01"),
                _v("Civilite", article.civility),
                _v("Nom", pes_text(article.last_name, 38)),
                _v("Prenom", pes_text(article.first_name, 38)),
            ),
            _block(
                "Adresse",
                _v("TypAdr", "1"),
                _v("Adr2", pes_text(article.address, 38)),
                _v("CP", article.postal_code),
                _v("Ville", pes_text(article.city, 38)),
                _v("CodRes", "0"),
            ),
            _block(
                "CpteBancaire",
                _v("BIC", debit.bic.upper()),
                _v("IBAN", debit.iban.upper()),
                _v("TitCpte", pes_text(debit.holder, 32)),
            )
            if debit is not None
            else None,
        )
        piece.append(_block("LigneDePiece", _block("BlocLignePiece", info, sepa), tiers))
    return piece


def attachment(*, identifier: str, name: str, kind: str, description: str, pdf: bytes) -> etree._Element:
    # mtime=0: the same PDF always gives the same compressed bytes.
    content = base64.b64encode(gzip.compress(pdf, compresslevel=6, mtime=0)).decode("ascii")
    fichier = etree.Element("Fichier", MIMEType="application/pdf")
    fichier.text = content
    return _block(
        "PJ",
        _block("Contenu", fichier),
        _v("IdUnique", identifier),
        _v("NomPJ", name),
        _v("TypePJ", kind),
        _v("Description", pes_text(description, 250)),
    )


def write_pes(
    out,
    header: Header,
    articles: Iterable[Article],
    attachments: Iterable[tuple[Article, Callable[[], bytes]]],
) -> None:
    """Write the file to the binary stream `out`. `articles` and `attachments` are iterated
    once each, in that order, so both can be generators reading the database by chunks."""
    with etree.xmlfile(out, encoding=ENCODING) as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}PES_Aller", nsmap={"n": NS}):
            xf.write(
                _block(
                    "Enveloppe",
                    _block(
                        "Parametres", _v("Version", "2"), _v("TypFic", "PESORMC"), _v("NomFic", header.file_name[:100])
                    ),
                    _block("Emetteur", _v("Sigle", SIGLE[:32]), _v("Adresse", SOFTWARE[:38])),
                )
            )
            xf.write(
                _block(
                    "EnTetePES",
                    _v("DteStr", day(header.issued_on)),
                    _v("IdPost", header.id_post),
                    _v("IdColl", header.siret),
                    _v("CodCol", header.cod_col),
                    _v("CodBud", header.cod_bud),
                    _v("LibelleColBud", pes_text(header.budget_label, 38)),
                )
            )
            with xf.element("PES_RecetteAller"):
                xf.write(_block("EnTeteRecette", _v("IdVer", "2"), _v("InfoDematerialisee", "0")))
                with xf.element("Bordereau"):
                    xf.write(
                        _block(
                            "BlocBordereau",
                            _v("Exer", header.exercice),
                            _v("IdBord", header.roll_number),
                            _v("DteBordEm", day(header.issued_on)),
                            _v("TypBord", "06"),
                            _v("NbrPce", header.piece_count),
                            _v("MtBordHt", money(header.total)),
                            _v("Objet", pes_text(header.subject, 160)),
                        )
                    )
                    for article in articles:
                        xf.write(_piece(header, article))
                        xf.flush()
            with xf.element("PES_PJ"):
                xf.write(_block("EnTetePES_PJ", _v("IdVer", "1")))
                for article, render in attachments:
                    xf.write(
                        attachment(
                            identifier=article.attachment_id,
                            name=article.attachment_name,
                            kind=header.attachment_type,
                            description=article.subject,
                            pdf=render(),
                        )
                    )
                    xf.flush()


class PesInvalid(Exception):
    """The written file breaks the documented structure: it is not offered."""


_schema = None


def _load_schema() -> etree.XMLSchema:
    global _schema  # parsed once per process; read-only afterwards
    if _schema is None:
        _schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    return _schema


def validate(path, *, expected_total: Decimal, expected_pieces: int) -> None:
    """Check the file against the XSD of the subset we produce, element by element while
    parsing (memory stays flat), then the sums the schema cannot express."""
    total = Decimal("0.00")
    pieces = 0
    try:
        for _event, element in etree.iterparse(str(path), events=("end",), schema=_load_schema(), huge_tree=True):
            if element.tag == "MtHT":
                total += Decimal(element.get("V"))
            elif element.tag == "Piece":
                pieces += 1
            if element.tag in ("Piece", "PJ"):
                element.clear(keep_tail=True)
    except etree.XMLSyntaxError as exc:
        raise PesInvalid(str(exc)) from exc
    if pieces != expected_pieces or total != expected_total:
        raise PesInvalid(f"{pieces} pièces pour {total} au lieu de {expected_pieces} pour {expected_total}")
