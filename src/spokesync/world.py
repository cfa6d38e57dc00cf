"""Generated worlds for the demo, the tests and the benchmarks: emulator seed documents.

A partner tenant with realistic, international names; some members without metadata,
some without an email, a few with unverified emails, and one whose email already exists
in Okta (in another case), plus an Okta member of the group that spokesync did not add.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from typing import Any

FIRST = [
    "José",
    "María",
    "Zoë",
    "Łukasz",
    "Søren",
    "Ngọc",
    "Aiyana",
    "Chloé",
    "Björn",
    "Ömer",
    "Siobhán",
    "Hiroshi",
    "Yuki",
    "Priya",
    "Arjun",
    "Fatima",
    "Mohammed",
    "Olusegun",
    "Chiamaka",
    "Mei",
    "Wei",
    "Jae-won",
    "Seo-yeon",
    "Dmitri",
    "Anastasia",
    "Giulia",
    "Matteo",
    "Léa",
    "François",
    "Ingrid",
    "Kofi",
    "Amara",
    "Thandiwe",
    "Lucía",
    "João",
    "Inês",
    "Zeynep",
    "Nguyễn",
    "Aroha",
    "Tane",
    "Sven",
    "Agnieszka",
    "Emeka",
    "Layla",
    "Omar",
    "Rania",
    "Kaito",
    "Sakura",
    "Ravi",
    "Ananya",
    "Tomás",
    "Dolores",
    "Eun-ji",
    "Min-jun",
    "Hana",
    "Václav",
]
LAST = [
    "García",
    "Müller",
    "Nowak",
    "Sørensen",
    "Trần",
    "Tanaka",
    "Suzuki",
    "Sharma",
    "Patel",
    "Al-Farsi",
    "Okafor",
    "Adeyemi",
    "Chen",
    "Wang",
    "Kim",
    "Park",
    "Ivanova",
    "Rossi",
    "Bianchi",
    "Dubois",
    "Lefèvre",
    "Andersson",
    "Mensah",
    "Ndlovu",
    "Fernández",
    "Silva",
    "Gonçalves",
    "Yılmaz",
    "Çelik",
    "O'Brien",
    "Ó Súilleabháin",
    "Kowalczyk",
    "Nguyen",
    "Te Rangi",
    "Haddad",
    "Mansour",
    "Watanabe",
    "Iyer",
    "Reddy",
    "Dvořák",
    "Van der Berg",
    "De la Cruz",
    "Papadopoulos",
    "Hansen",
    "Lindqvist",
    "Achterberg",
]
DOMAINS = ["partner.example", "apac-partners.example", "reseller.example", "distri.example"]

ROLE_ID = "rol_SalesforceUsers1"
GROUP_ID = "00gSalesforceUsers1"
#: the hub's Okta IdP for the partner tenant: partners sign in to Okta through Auth0
IDP_ID = "0oaAuth0Partners0001"
CLIENT_ID = "spokesync-demo"
ADMIN_CLIENT_ID = "demo-admin"
API_TOKEN_NAME = "okta-demo-token"
#: What spokesync's own Auth0 application is granted in a generated world: users, roles,
#: organizations and their members' roles, and the write-back of hub status.
SYNC_SCOPES = (
    "read:users",
    "read:roles",
    "update:users",
    "read:organizations",
    "read:organization_members",
    "read:organization_member_roles",
)


@dataclass(frozen=True)
class WorldSecrets:
    """The credentials a generated world accepts (generated per world, never fixed)."""

    client_secret: str
    admin_secret: str
    okta_token: str


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in folded if c.isascii() and (c.isalnum() or c in "-"))
    return kept.lower() or "user"


#: The partner companies of the demo tenant, as Auth0 organizations (name, display name).
PARTNER_ORGANIZATIONS = (
    ("northwind", "Northwind Traders"),
    ("contoso", "Contoso"),
    ("fabrikam", "Fabrikam"),
    ("tailspin", "Tailspin Toys"),
)
#: members per partner organization in the generated world
ORGANIZATION_SIZE = 12


def partner_organizations(
    auth0_users: list[dict[str, Any]], count: int, *, seed: int = 7
) -> list[dict[str, Any]]:
    """``count`` partner organizations of the seed's users (some members in two of them),
    in the emulator's seed form."""
    rng = random.Random(seed + 1)
    people = [u["user_id"] for u in auth0_users if u.get("email") and u.get("email_verified")]
    out: list[dict[str, Any]] = []
    for n, (name, display) in enumerate(PARTNER_ORGANIZATIONS[:count]):
        mine = people[n * ORGANIZATION_SIZE : (n + 1) * ORGANIZATION_SIZE]
        # two members of the previous partner also work with this one
        shared = people[(n - 1) * ORGANIZATION_SIZE : (n - 1) * ORGANIZATION_SIZE + 2] if n else []
        out.append(
            {
                "id": f"org_{name.capitalize()}{seed:04d}".ljust(20, "0"),
                "name": name,
                "display_name": display,
                "metadata": {"tier": rng.choice(["gold", "silver"])},
                "members": [{"user_id": u, "roles": []} for u in [*mine, *shared]],
            }
        )
    return out


def partner_world(
    users: int,
    *,
    seed: int = 7,
    secrets: WorldSecrets,
    role_name: str = "Salesforce",
    organizations: int = 0,
) -> dict[str, Any]:
    """A seed document with ``users`` Auth0 role members and an Okta org with one bound group;
    with ``organizations``, that many partner organizations of those users."""
    rng = random.Random(seed)
    auth0_users: list[dict[str, Any]] = []
    emails: set[str] = set()
    for i in range(users):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{rng.choice(DOMAINS)}"
        while email in emails:
            email = f"{local}{rng.randint(2, 999)}@{rng.choice(DOMAINS)}"
        emails.add(email)
        user: dict[str, Any] = {
            "user_id": f"auth0|{seed:04d}{i:08d}",
            "email": email,
            "email_verified": True,
            "name": f"{first} {last}",
            "given_name": first,
            "family_name": last,
            "user_metadata": {
                "firstName": first,
                "lastName": last,
                "partner_tier": rng.choice(["gold", "silver"]),
            },
            "app_metadata": {"partner_id": f"P{rng.randint(1000, 9999)}"},
            "blocked": False,
            "roles": [ROLE_ID],
        }
        kind = rng.random()
        if kind < 0.15:
            del user["user_metadata"]  # only the standard profile
        elif kind < 0.20:
            user.pop("given_name")
            user.pop("family_name")
            user["user_metadata"] = {}  # names come from `name`
        elif kind < 0.24:
            del user["email"]  # phone or username sign-up: not provisionable
            user["email_verified"] = False
        elif kind < 0.26:
            user["email_verified"] = False
        auth0_users.append(user)
    # One member already has an Okta account, under the same email in another case.
    existing = next(u for u in auth0_users if "email" in u and u["email_verified"])
    okta_users: list[dict[str, Any]] = [
        {
            "status": "ACTIVE",
            "profile": {
                "login": existing["email"].upper(),
                "email": existing["email"].upper(),
                "firstName": existing["name"].split()[0],
                "lastName": existing["name"].split()[-1],
            },
            "groups": [],
        },
        {
            "id": "00uManualMember001",
            "status": "ACTIVE",
            "profile": {
                "login": "it.admin@hub.example",
                "email": "it.admin@hub.example",
                "firstName": "Ita",
                "lastName": "Admin",
            },
            "groups": [GROUP_ID],
        },
    ]
    return {
        "auth0": {
            "clients": [
                {
                    "client_id": CLIENT_ID,
                    "client_secret": secrets.client_secret,
                    "scopes": list(SYNC_SCOPES),
                },
                {
                    "client_id": ADMIN_CLIENT_ID,
                    "client_secret": secrets.admin_secret,
                    "scopes": [
                        "read:users",
                        "read:roles",
                        "update:users",
                        "create:users",
                        "delete:users",
                        "update:roles",
                        "create:role_members",
                        "delete:role_members",
                        "create:roles",
                        "read:organizations",
                        "update:organizations",
                        "read:organization_members",
                        "create:organization_members",
                        "delete:organization_members",
                    ],
                },
            ],
            "roles": [{"id": ROLE_ID, "name": role_name}],
            "users": auth0_users,
            "organizations": partner_organizations(auth0_users, organizations, seed=seed),
        },
        "okta": {
            "api_tokens": [secrets.okta_token],
            "groups": [{"id": GROUP_ID, "name": f"{role_name} Users"}],
            "users": okta_users,
            "idps": [{"id": IDP_ID, "name": "Auth0 partners", "type": "OIDC"}],
        },
    }


def config_text(
    auth0_url: str,
    okta_url: str,
    state_url: str,
    *,
    role: str = "Salesforce",
    organizations: bool = False,
) -> str:
    """A config file for a generated world; secrets are read from the environment. With
    ``organizations``, a template binding gives each partner organization a group."""
    template = (
        """
# One group per partner organization, created by spokesync and renamed with it.
[[bindings]]
source = "partners"
organizations = "*"
group = "Partner {organization.display_name}"
"""
        if organizations
        else ""
    )
    return f"""# spokesync config for the demo world (secrets come from the environment)
[state]
url = "{state_url}"

[okta]
org_url = "{okta_url}"
token = "${{OKTA_API_TOKEN}}"

[sources.partners]
domain = "{auth0_url}"
client_id = "{CLIENT_ID}"
client_secret = "${{AUTH0_PARTNERS_SECRET}}"
# Partners sign in to Okta through this Auth0 tenant (an IdP in Okta): their Okta users are
# created ACTIVE with no password, and Okta mails them nothing (the default with okta_idp_id).
okta_idp_id = "{IDP_ID}"
activation = "federated"

[[bindings]]
source = "partners"
role = "{role}"
group = "{role} Users"
{template}"""
