"""Which lead field a Salesforce criteria field reads, and what kind of value it holds.

* ``Lead.X`` standard columns map to the lead keys ingest gives them; custom ``__c`` columns
  keep their name (``Email`` reads ``email``, which ingest only lower-cases: criteria ignore
  case anyway). Columns whose text ingest rewrites (``CountryCode``/``StateCode``, derived
  from the country; ``Phone``, made E.164) are read from a copy under ``sf.<API name>``
  instead, which the import asks ingest for
  (``salesforce.fields``), so they compare as Salesforce stored them.
* Lookups compared by the related record's name (``RecordTypeId``, ``CreatedById``,
  ``OwnerId``...) read the relationship's ``Name`` (``RecordType.Name`` -> ``record_type``):
  the metadata carries the name, and the poller queries that relationship path.
* Cross-object fields read the lead field a **field map** names for them (``--field-map``).
  A path that starts with one of the lead's relationships (``Lead.Country__r.Name``,
  ``Owner.UserRole.Name``) needs no map: the poller queries it and the lead field is named
  by the path. Other objects (``Campaign.Name``) and the running user (``User.*``) must be
  mapped to a lead field that carries the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from routing.normalize import SALESFORCE_LEAD_FIELDS

__all__ = ["FieldRef", "Kind", "Untranslatable", "resolve_field"]

Kind = Literal["text", "number", "checkbox", "date", "picklist", "multipicklist"]


class Untranslatable(Exception):
    """A criteria item or entry the bot's rule language cannot express."""


@dataclass(frozen=True)
class FieldRef:
    key: str  # the lead field the condition reads
    label: str  # the Salesforce field as the rule names it
    kind: Kind
    # The Salesforce column or relationship path ingest must copy into ``key`` (for
    # ``salesforce.fields``), or None when ingest copies it already.
    query: str | None = None


# Columns ingest rewrites: read from a copy under the API name (as written).
AS_WRITTEN_COPIES = frozenset({"CountryCode", "StateCode", "Phone"})
_KEYS: dict[str, str] = {
    k: v
    for k, v in SALESFORCE_LEAD_FIELDS.items()
    if k not in ("Id", "OwnerId", *AS_WRITTEN_COPIES)
}
_NUMBERS = frozenset({"NumberOfEmployees", "AnnualRevenue"})
_CHECKBOXES = frozenset(
    {"HasOptedOutOfEmail", "HasOptedOutOfFax", "DoNotCall", "IsConverted", "IsUnreadByOwner"}
)
_PICKLISTS = frozenset(
    {"LeadSource", "Status", "Rating", "Industry", "Salutation", "CountryCode", "StateCode"}
)
DATE_FIELDS = frozenset(
    {
        "CreatedDate",
        "LastModifiedDate",
        "SystemModstamp",
        "ConvertedDate",
        "LastActivityDate",
        "LastViewedDate",
        "LastReferencedDate",
        "EmailBouncedDate",
    }
)
# Lookups whose criteria compare the related record's name: lookup -> (relationship, key).
_LOOKUPS: dict[str, tuple[str, str]] = {
    "RecordTypeId": ("RecordType", "record_type"),
    "CreatedById": ("CreatedBy", "created_by"),
    "LastModifiedById": ("LastModifiedBy", "last_modified_by"),
    "OwnerId": ("Owner", "owner_name"),
    "ConvertedAccountId": ("ConvertedAccount", "converted_account"),
    "ConvertedContactId": ("ConvertedContact", "converted_contact"),
    "ConvertedOpportunityId": ("ConvertedOpportunity", "converted_opportunity"),
    "MasterRecordId": ("MasterRecord", "master_record"),
    "IndividualId": ("Individual", "individual"),
}
# Relationships a Lead query can follow (custom lookups end in __r).
_RELATIONSHIPS = frozenset(rel for rel, _ in _LOOKUPS.values()) | {"Owner"}


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _kind(column: str) -> Kind:
    if column in _NUMBERS:
        return "number"
    if column in _CHECKBOXES:
        return "checkbox"
    if column in DATE_FIELDS:
        return "date"
    if column in _PICKLISTS:
        return "picklist"
    return "text"


def queryable(path: str) -> bool:
    """Whether a Lead SOQL query can select ``path`` (a lead relationship's field)."""
    first = path.split(".", 1)[0]
    return "." in path and (first in _RELATIONSHIPS or first.endswith("__r"))


def resolve_field(name: str, field_map: Mapping[str, str] | None = None) -> FieldRef:
    """The lead field behind criteria field ``name``; raises :class:`Untranslatable`."""
    name = name.strip()
    mapping = field_map or {}
    path = name.removeprefix("Lead.")
    mapped = mapping.get(name) or mapping.get(path)
    if mapped:
        return FieldRef(mapped, name, "text", path if queryable(path) else None)
    if queryable(path):
        # A lead relationship's field (Country__r.Name, Owner.UserRole.Name): the poller
        # can select it, so it needs no map; the lead field is named by the path itself.
        return FieldRef(path, name, "text", path)
    if not name:
        raise Untranslatable("the criteria item names no field")
    if name.startswith(("User.", "$User.")):
        raise Untranslatable(
            f"{name} is a field of the user running the rule (Salesforce's current user), not "
            "of the lead: map it with --field-map to a lead field that carries it, e.g. "
            f"{name}: creator_profile with CreatedBy.Profile.Name copied into creator_profile"
        )
    if not name.startswith("Lead.") or "." in path or ":" in path:
        how = (
            "the poller can query it"
            if queryable(path)
            else "the value must arrive with the lead under that key"
        )
        raise Untranslatable(
            f"{name} is a field of a related record (cross-object): map it to a lead field "
            f"with --field-map ({path}: some_key; {how})"
        )
    column = path
    if column in _LOOKUPS:
        relationship, key = _LOOKUPS[column]
        target = f"{relationship}.Name"
        key = mapping.get(target) or key
        return FieldRef(key, name, "text", target)
    if column.endswith("__c"):
        return FieldRef(column, name, "text")
    if column in AS_WRITTEN_COPIES:
        # "sf.Email": a key ingest keeps as it is (a plain "Email" would be read as email).
        return FieldRef(f"sf.{column}", name, _kind(column), column)
    standard = _KEYS.get(column)
    if standard is not None:
        return FieldRef(standard, name, _kind(column))
    # A standard column ingest does not copy by default: the import asks for it.
    return FieldRef(_snake(column), name, _kind(column), column)
