"""The demo register's stores, for real: its two SQL databases (SQLite files) and local
fakes of Pipedrive, Sentry, HubSpot and Zendesk, each holding records of Jeanne (the
subject) and of Paul (someone else), with the systems' base URLs and secrets pointed at
them. Tests approve requests and then read the stores to see what was done.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from dsar import demo_stores
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.sentry import FakeSentry
from tests.fakes.zendesk import FakeZendesk

JEANNE = {"email": "jeanne.martin@mail.example", "name": "Jeanne Martin", "phone": "+33 6 11 22 33 44",
          "account_id": "C-1001"}
PAUL = {"email": "paul.other@mail.example", "name": "Paul Other", "phone": "+33 6 55 66 77 88",
        "account_id": "C-2002"}
TOKENS = {"SEPTEO_PIPEDRIVE_TOKEN": "pd-token", "SEPTEO_SENTRY_TOKEN": "sentry-token",
          "SEPTEO_HUBSPOT_TOKEN": "hs-token", "SEPTEO_ZENDESK_TOKEN": "zd-token"}


@dataclass
class DemoWorld:
    folder: object
    stores: dict = field(default_factory=dict)
    hubspot: FakeHubSpot | None = None
    pipedrive: FakePipedrive | None = None
    sentry: FakeSentry | None = None
    zendesk: FakeZendesk | None = None
    ids: dict = field(default_factory=dict)

    def start(self) -> DemoWorld:
        self.stores = demo_stores.build(self.folder, [JEANNE, PAUL])
        self.hubspot = FakeHubSpot(token=TOKENS["SEPTEO_HUBSPOT_TOKEN"]).start()
        self.pipedrive = FakePipedrive(token=TOKENS["SEPTEO_PIPEDRIVE_TOKEN"]).start()
        self.sentry = FakeSentry(token=TOKENS["SEPTEO_SENTRY_TOKEN"]).start()
        self.zendesk = FakeZendesk(token=TOKENS["SEPTEO_ZENDESK_TOKEN"], agent_email="dsar-bot@septeo.example").start()
        for who in (JEANNE, PAUL):
            first, last = who["name"].split()
            key = who["name"].split()[0].lower()
            self.ids[f"hubspot:{key}"] = self.hubspot.add_contact(who["email"], first, last)
            self.ids[f"pipedrive:{key}"] = self.pipedrive.add_person(who["name"], emails=[who["email"]])["id"]
            self.ids[f"sentry:{key}"] = self.sentry.add_issue(f"Crash for {key}", {"email": who["email"], "id": "1"})
            user = self.zendesk.add_user(who["name"], who["email"], who["phone"])
            self.ids[f"zendesk:{key}"] = user
            self.ids[f"zendesk-ticket:{key}"] = self.zendesk.add_ticket(user, f"Help for {key}")
        return self

    def stop(self) -> None:
        for fake in (self.hubspot, self.pipedrive, self.sentry, self.zendesk):
            if fake is not None:
                fake.stop()

    def environment(self) -> dict[str, str]:
        return {**self.stores, **TOKENS}

    def base_urls(self) -> dict[str, str]:
        return {"pipedrive": self.pipedrive.url, "sentry": self.sentry.url, "hubspot": self.hubspot.url,
                "zendesk": f"{self.zendesk.url}/api/v2"}

    # -- reading the stores ------------------------------------------------------------
    def rows(self, table: sa.Table) -> list[dict]:
        url = self.stores["SEPTEO_PRODUCT_DB_URL" if table is demo_stores.users else "SEPTEO_MONITORING_DB_URL"]
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                return [dict(r) for r in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]
        finally:
            engine.dispose()

    def user(self, email: str) -> dict | None:
        return next((r for r in self.rows(demo_stores.users) if r["email"] == email), None)
