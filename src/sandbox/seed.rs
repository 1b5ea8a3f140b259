//! The seeded rows behind the list endpoints: employees, one finished export job per company and
//! its export items. Public demo data (companies and keys) lives in `demo.rs`.

use serde_json::{Value, json};

use super::demo::{ACME_ID, BOREALIS_ID, COBALT_ID};

/// One seeded employee.
pub(crate) struct Employee {
    pub id: &'static str,
    pub company_id: &'static str,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub code: &'static str,
}

pub(crate) const EMPLOYEES: &[Employee] = &[
    Employee {
        id: "a1000000-0000-4000-8000-000000000001",
        company_id: ACME_ID,
        email: "ada@acme.example",
        first_name: "Ada",
        last_name: "Lovelace",
        code: "E001",
    },
    Employee {
        id: "a1000000-0000-4000-8000-000000000002",
        company_id: ACME_ID,
        email: "grace@acme.example",
        first_name: "Grace",
        last_name: "Hopper",
        code: "E002",
    },
    Employee {
        id: "b2000000-0000-4000-8000-000000000001",
        company_id: BOREALIS_ID,
        email: "greta@borealis.example",
        first_name: "Greta",
        last_name: "Garbo",
        code: "B001",
    },
    Employee {
        id: "c3000000-0000-4000-8000-000000000001",
        company_id: COBALT_ID,
        email: "konrad@cobalt.example",
        first_name: "Konrad",
        last_name: "Zuse",
        code: "C001",
    },
];

impl Employee {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "companyId": self.company_id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "code": self.code,
        })
    }
}

/// The last two hex digits of a company id tell the seeded rows of each company apart.
fn company_tag(company_id: &str) -> &str {
    company_id
        .get(company_id.len().saturating_sub(2)..)
        .unwrap_or("00")
}

/// The finished export job every company starts with.
pub(crate) fn seeded_job(company_id: &str) -> Value {
    json!({
        "id": format!("e0000000-0000-4000-8000-0000000000{}", company_tag(company_id)),
        "companyId": company_id,
        "createdAt": "2025-01-15T09:00:00Z",
        "createdBy": null,
        "startedAt": "2025-01-15T09:00:05Z",
        "completedAt": "2025-01-15T09:01:00Z",
        "expiredAt": null,
        "lastUpdatedAt": "2025-01-15T09:01:00Z",
        "expiresIn": 0,
        "isInteractive": false,
        "numberOfItems": 2,
        "status": "completed",
        "failureReason": null,
        "vendorBasedBookkeeping": false,
    })
}

// INFERRED: Pleo's export-item shape is not in our notes; these are minimal plausible rows.
pub(crate) fn export_items(company_id: &str) -> Vec<Value> {
    let tag = company_tag(company_id);
    (1..=2)
        .map(|n| {
            json!({
                "id": format!("f0000000-0000-4000-8000-000000{tag}00{n:02}"),
                "companyId": company_id,
                "accountingEntryId": format!("d0000000-0000-4000-8000-000000{tag}00{n:02}"),
                "status": "pending",
                "createdAt": "2025-01-15T08:00:00Z",
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::demo;

    #[test]
    fn seeded_rows_have_uuids_and_known_companies() {
        let mut ids = Vec::new();
        for e in EMPLOYEES {
            assert!(demo::company(e.company_id).is_some(), "{}", e.id);
            ids.push(e.id.to_owned());
        }
        for c in demo::DEMO_COMPANIES {
            ids.push(
                seeded_job(c.id)["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
            for item in export_items(c.id) {
                ids.push(item["id"].as_str().unwrap_or_default().to_owned());
                ids.push(
                    item["accountingEntryId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        for id in &ids {
            assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        }
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
