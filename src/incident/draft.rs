//! The drafts a worksheet writes: the notification to the supervisory
//! authority (Art. 33(3) and the CNIL's form), and the letter to the
//! people (Art. 34(2)) when it is needed. Counts, kinds and categories
//! only; never a value.

use chrono::{DateTime, Utc};

use super::Incident;

fn list(items: &[String], none: &str) -> String {
    if items.is_empty() {
        format!("- {none}\n")
    } else {
        items.iter().map(|i| format!("- {i}\n")).collect()
    }
}

fn kinds(i: &Incident) -> String {
    if i.kinds.is_empty() {
        "none detected".into()
    } else {
        i.kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The worksheet as Markdown: the notification draft, the severity with
/// its rationale, the clock, and the letter to the people when needed.
pub fn markdown(i: &Incident, now: DateTime<Utc>) -> String {
    let clock = i.clock(now);
    let (tell, why_tell) = i.people_must_be_told();
    let mut md = String::new();
    md.push_str(&format!(
        "# Personal data breach {} — {}\n\n",
        i.id, i.title
    ));
    md.push_str(&format!(
        "- Aware since: {}\n- Notify the authority by: {} ({})\n- Ongoing: {}\n- Origin: {}\n",
        when(&i.aware_at),
        when(&clock.deadline),
        if clock.notified {
            if clock.late {
                "notified late: give the reasons for the delay".to_string()
            } else {
                "notified in time".to_string()
            }
        } else if clock.minutes_left >= 0 {
            format!(
                "{}h{:02} left",
                clock.minutes_left / 60,
                clock.minutes_left % 60
            )
        } else {
            format!(
                "{}h{:02} past the deadline: notify now, with the reasons for the delay",
                -clock.minutes_left / 60,
                -clock.minutes_left % 60
            )
        },
        if i.ongoing { "yes" } else { "no" },
        match i.origin {
            super::Origin::Unknown => "not known",
            super::Origin::Internal => "inside the organisation",
            super::Origin::External => "outside the organisation",
        }
    ));
    if let Some((from, to)) = i.window {
        md.push_str(&format!(
            "- Exposed from {} to {}\n",
            when(&from),
            when(&to)
        ));
    }
    md.push_str("\n## Notification to the supervisory authority (Art. 33(3))\n\n");
    md.push_str(&format!(
        "**Controller**: {}. **Contact point**: {}.\n\n",
        i.controller, i.contact
    ));
    md.push_str(&format!(
        "**Nature of the breach**: {}{}{}{}.\n\n",
        match i.circumstances.confidentiality {
            super::enisa::Confidentiality::None => "",
            super::enisa::Confidentiality::Known => "loss of confidentiality (known recipients)",
            super::enisa::Confidentiality::Unknown =>
                "loss of confidentiality (unknown recipients)",
        },
        match i.circumstances.integrity {
            super::enisa::Integrity::None => "",
            _ => "; loss of integrity",
        },
        match i.circumstances.availability {
            super::enisa::Availability::None => "",
            _ => "; loss of availability",
        },
        if i.circumstances.malicious {
            "; malicious"
        } else {
            "; accidental or not known to be malicious"
        }
    ));
    md.push_str(&format!(
        "**People concerned**: {}{}. **Records concerned**: {}.\n\n",
        if i.people_exact { "" } else { "at least " },
        i.people,
        i.records
    ));
    md.push_str(&format!(
        "**Categories of data**: {}. Kinds found: {}.{}{}\n\n",
        if i.categories.is_empty() {
            "not declared".to_string()
        } else {
            i.categories.join(", ")
        },
        kinds(i),
        if i.special_categories {
            " **Special categories (Art. 9) are concerned.**"
        } else {
            ""
        },
        if i.credentials {
            " **Credentials or tokens were exposed.**"
        } else {
            ""
        }
    ));
    md.push_str("**What was exposed**:\n\n| what | records | people | kinds | how counted |\n|---|---|---|---|---|\n");
    for c in &i.exposed {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            c.what,
            c.records.map_or("—".to_string(), |r| r.to_string()),
            c.people.map_or("—".to_string(), |p| p.to_string()),
            c.kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            c.how
        ));
    }
    md.push_str("\n**Likely consequences**:\n\n");
    md.push_str(&list(&i.consequences, "to be assessed"));
    md.push_str("\n**Measures taken**:\n\n");
    md.push_str(&list(&i.measures_taken, "none recorded yet"));
    md.push_str("\n**Measures proposed**:\n\n");
    md.push_str(&list(&i.measures_proposed, "none recorded yet"));
    if clock.late {
        md.push_str(&format!(
            "\n**Reasons for the delay beyond 72 hours**: {}\n",
            i.delay_reason.as_deref().unwrap_or("TO BE GIVEN")
        ));
    }
    md.push_str(&format!(
        "\n**Informing the people (Art. 34)**: {} — {}.\n",
        if tell { "required" } else { "not required" },
        why_tell
    ));
    md.push_str("\n## Severity (ENISA, SE = DPC × EI + CB)\n\n");
    let s = &i.severity;
    md.push_str(&format!(
        "- DPC = {}: {}\n- EI = {}: {}\n- CB = {}: {}\n- **SE = {} × {} + {} = {} ({})**\n",
        s.dpc.value,
        s.dpc.why,
        s.ei.value,
        s.ei.why,
        s.cb.value,
        s.cb.why,
        s.dpc.value,
        s.ei.value,
        s.cb.value,
        s.score,
        s.band.as_str()
    ));
    md.push_str("\n## Notifications\n\n");
    if i.notifications.is_empty() {
        md.push_str("- none yet\n");
    }
    for n in &i.notifications {
        md.push_str(&format!(
            "- {:?} on {}{}\n",
            n.kind,
            when(&n.at),
            n.reference
                .as_deref()
                .map(|r| format!(" (reference {r})"))
                .unwrap_or_default()
        ));
    }
    if tell {
        md.push_str("\n## Letter to the people concerned (Art. 34(2))\n\n");
        md.push_str(&format!(
            "We are writing to tell you that personal data about you, held by {}, was exposed in an incident we became aware of on {}.\n\n\
             The data concerned: {}.\n\n\
             What it may mean for you: {}\n\n\
             What we have done: {}\n\n\
             What you can do: be wary of messages that use this data to look legitimate; {}\n\n\
             To ask questions or exercise your rights, write to {}.\n",
            i.controller,
            i.aware_at.format("%Y-%m-%d"),
            if i.categories.is_empty() { kinds(i) } else { i.categories.join(", ") },
            if i.consequences.is_empty() { "we are assessing it.".to_string() } else { i.consequences.join("; ") },
            if i.measures_taken.is_empty() { "we are containing the incident.".to_string() } else { i.measures_taken.join("; ") },
            if i.credentials { "change your password for this service and any other where you used the same one." } else { "no action on your account is needed." },
            i.contact
        ));
    }
    md
}

/// A time as the drafts print it: to the minute, in UTC.
fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
