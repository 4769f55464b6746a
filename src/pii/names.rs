//! Names as evidence: field, column, JSON key and key-segment names, and the
//! shipped first-name list (`data/first_names.txt`).

use std::sync::LazyLock;

use serde::Serialize;

use super::{Category, Kind};

/// What a field or column name alone says about its values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NameClass {
    pub kind: Kind,
    pub category: Category,
    /// 0.0..=1.0: how sure the name alone makes us.
    pub confidence: f32,
}

/// The shipped first names ([`name_key`] of each), sorted for binary search.
static FIRST_NAMES: LazyLock<Vec<u128>> = LazyLock::new(|| {
    let mut keys: Vec<u128> = first_name_lines().filter_map(name_key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
});

/// The names in `data/first_names.txt` (comments and blank lines skipped).
fn first_name_lines() -> impl Iterator<Item = &'static str> {
    include_str!("../../data/first_names.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Letters in a [`name_key`]: 24 of 5 bits fit in 120.
const MAX_NAME: usize = 24;

/// A name folded (lowercase, no accents: `François` → `francois`, `Œ` →
/// `oe`) and packed in an integer, five bits a letter (a–z, '-'), so the
/// lookup neither allocates nor hashes. `None` past [`MAX_NAME`] letters or
/// on anything but Latin letters and '-'.
fn name_key(word: &str) -> Option<u128> {
    struct Key(u128, usize);
    impl Key {
        fn push(&mut self, b: u8) -> Option<()> {
            let code = match b {
                b'a'..=b'z' => b - b'a' + 1,
                b'-' => 27,
                _ => return None,
            };
            self.1 += 1;
            if self.1 > MAX_NAME {
                return None;
            }
            self.0 = self.0 << 5 | u128::from(code);
            Some(())
        }
    }
    let mut key = Key(0, 0);
    if word.is_ascii() {
        for b in word.bytes() {
            key.push(b.to_ascii_lowercase())?;
        }
    } else {
        for c in word.chars() {
            for l in c.to_lowercase() {
                // Combining accents (a decomposed `é`, the dot of `İ`).
                if ('\u{300}'..='\u{36f}').contains(&l) {
                    continue;
                }
                match u8::try_from(l) {
                    Ok(b) if b.is_ascii() => key.push(b)?,
                    _ => {
                        for b in fold_latin(l)?.bytes() {
                            key.push(b)?;
                        }
                    }
                }
            }
        }
    }
    Some(key.0)
}

/// A lowercase accented Latin letter without its accent, as ASCII; `None`
/// for any other character.
fn fold_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Whether `word` is in the shipped first-name list, whatever its case and
/// accents (`Francois`, `FRANÇOIS`); a hyphenated name when each part is
/// (`Jean-Pierre`).
pub fn is_first_name(word: &str) -> bool {
    // At most 4 bytes a letter (and a decomposed accent may follow each).
    if word.len() < 2 || word.len() > 8 * MAX_NAME {
        return false;
    }
    let known = |w: &str| {
        w.len() >= 2 && name_key(w).is_some_and(|k| FIRST_NAMES.binary_search(&k).is_ok())
    };
    known(word) || (word.contains('-') && word.split('-').all(known))
}

/// Splits a name into lowercase ASCII-folded tokens: on anything not
/// alphanumeric and on camelCase boundaries (`firstName` → `first`, `name`).
pub(crate) fn tokens(name: &str) -> Vec<String> {
    struct All {
        out: Vec<String>,
        cur: String,
    }
    impl TokenSink for All {
        fn push(&mut self, c: char) {
            self.cur.push(c);
        }
        fn end(&mut self) {
            if !self.cur.is_empty() {
                self.out.push(std::mem::take(&mut self.cur));
            }
        }
    }
    let mut all = All {
        out: Vec::new(),
        cur: String::new(),
    };
    split_tokens(name, &mut all);
    all.out
}

/// Where [`split_tokens`] puts the folded characters of each token.
trait TokenSink {
    fn push(&mut self, c: char);
    /// Ends the current token (nothing when it is empty).
    fn end(&mut self);
}

/// The one tokenizer behind [`tokens`] and [`LastTokens`].
fn split_tokens(name: &str, sink: &mut impl TokenSink) {
    let b = name.as_bytes();
    let mut prev_lower = false;
    let mut cur_empty = true;
    let (mut i, mut chars) = (0, 0);
    while chars < 128 {
        let Some(&byte) = b.get(i) else { break };
        chars += 1;
        if byte.is_ascii() {
            // The same tests as below, on ASCII (most names and text).
            i += 1;
            if byte.is_ascii_alphanumeric() {
                if byte.is_ascii_uppercase() && prev_lower && !cur_empty {
                    sink.end();
                }
                prev_lower = byte.is_ascii_lowercase() || byte.is_ascii_digit();
                sink.push(char::from(byte.to_ascii_lowercase()));
                cur_empty = false;
            } else {
                prev_lower = false;
                sink.end();
                cur_empty = true;
            }
            continue;
        }
        // `i` is on a character boundary: only whole characters are skipped.
        let Some(c) = name.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur_empty {
                sink.end();
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            for l in c.to_lowercase() {
                sink.push(fold(l));
                cur_empty = false;
            }
        } else {
            prev_lower = false;
            sink.end();
            cur_empty = true;
        }
    }
    sink.end();
}

/// The last three of [`tokens`] of a text of at most [`LastTokens::MAX_TEXT`]
/// bytes, without allocating (run for every candidate hit).
pub(crate) struct LastTokens {
    /// The folded tokens, one after the other: a character of the text
    /// folds to at most 3 characters of at most 4 bytes.
    buf: [u8; LastTokens::MAX_TEXT * 12],
    len: usize,
    /// Start of the token being read.
    cur: usize,
    /// The last three tokens' spans in `buf`, oldest first.
    spans: [(usize, usize); 3],
    n: usize,
}

impl TokenSink for LastTokens {
    fn push(&mut self, c: char) {
        // Never more than the bound above; checked all the same.
        if let Ok(byte) = u8::try_from(c) {
            if byte.is_ascii() {
                if let Some(dst) = self.buf.get_mut(self.len) {
                    *dst = byte;
                    self.len += 1;
                }
                return;
            }
        }
        let end = self.len + c.len_utf8();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            c.encode_utf8(dst);
            self.len = end;
        }
    }
    fn end(&mut self) {
        if self.len == self.cur {
            return;
        }
        let span = (self.cur, self.len);
        if self.n == 3 {
            self.spans = [self.spans[1], self.spans[2], span];
        } else {
            self.spans[self.n] = span;
            self.n += 1;
        }
        self.cur = self.len;
    }
}

impl Default for LastTokens {
    /// No tokens.
    fn default() -> LastTokens {
        LastTokens {
            buf: [0; LastTokens::MAX_TEXT * 12],
            len: 0,
            cur: 0,
            spans: [(0, 0); 3],
            n: 0,
        }
    }
}

impl LastTokens {
    pub(crate) const MAX_TEXT: usize = 32;

    /// The last three tokens of `text`, which must be at most
    /// [`LastTokens::MAX_TEXT`] bytes long (longer, a token may be cut).
    pub(crate) fn of(text: &str) -> LastTokens {
        debug_assert!(text.len() <= LastTokens::MAX_TEXT);
        let mut t = LastTokens::default();
        split_tokens(text, &mut t);
        t
    }

    /// The kept tokens, oldest first (at most three).
    pub(crate) fn words(&self) -> ([&str; 3], usize) {
        let mut out = [""; 3];
        for (o, &(a, z)) in out.iter_mut().zip(&self.spans[..self.n]) {
            // Whole characters were written: always valid UTF-8.
            *o = std::str::from_utf8(&self.buf[a..z]).unwrap_or("");
        }
        (out, self.n)
    }
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        other => other,
    }
}

/// Tokens that turn "name" into something that is not a person's name
/// (`nom_fichier`, `company_name`, `nom_produit`).
fn not_a_person(t: &str) -> bool {
    is_organisation(t)
        || matches!(
            t,
            "product"
                | "produit"
                | "article"
                | "item"
                | "file"
                | "filename"
                | "fichier"
                | "folder"
                | "dossier"
                | "repertoire"
                | "directory"
                | "document"
                | "attachment"
                | "piece"
                | "image"
                | "table"
                | "service"
                | "host"
                | "hostname"
                | "server"
                | "app"
                | "application"
                | "event"
                | "evenement"
                | "category"
                | "categorie"
                | "type"
                | "kind"
                | "method"
                | "class"
                | "model"
                | "modele"
                | "job"
                | "queue"
                | "domain"
                | "key"
                | "bucket"
                | "index"
                | "column"
                | "schema"
                | "database"
                | "db"
                | "field"
                | "champ"
                | "tag"
                | "label"
                | "lieu"
                | "place"
                | "salle"
                | "room"
                | "street"
                | "rue"
                | "voie"
                | "city"
                | "ville"
                | "commune"
                | "country"
                | "pays"
                | "region"
                | "department"
                | "departement"
                | "team"
                | "equipe"
                | "role"
                | "group"
                | "groupe"
                | "site"
                | "brand"
                | "marque"
                | "motif"
                | "reason"
                | "template"
                | "action"
                | "controller"
                | "worker"
                | "channel"
                | "stream"
                | "metric"
                | "feature"
                | "flag"
                | "version"
                | "project"
                | "projet"
                | "campaign"
                | "campagne"
                | "plan"
                | "offre"
                | "offer"
                | "prestation"
                | "formation"
                | "course"
                | "cours"
                | "list"
                | "liste"
                | "segment"
                | "theme"
                | "package"
                | "module"
                | "plugin"
                | "setting"
                | "param"
                | "parameter"
                | "variable"
                | "environment"
                | "env"
                | "cluster"
                | "node"
                | "branch"
                | "repository"
                | "repo"
                | "bundle"
                | "step"
                | "etape"
                | "status"
                | "statut"
        )
}

/// Tokens naming an organisation: `company_name` is no person's name, and
/// `company_email`, `telephone_entreprise` are a company's contact as often
/// as a person's (weaker: sampled values decide).
fn is_organisation(t: &str) -> bool {
    matches!(
        t,
        "org"
            | "organisation"
            | "organization"
            | "organisme"
            | "company"
            | "entreprise"
            | "societe"
            | "structure"
            | "etablissement"
            | "association"
            | "agence"
            | "agency"
            | "business"
            | "vendor"
            | "supplier"
            | "fournisseur"
    )
}

/// Tokens that make a field hold something *about* the data rather than the
/// data itself: a flag (`email_verified`, `phone_enabled`), a count
/// (`email_count`, `nb_emails`), a timestamp (`phone_verified_at`), a type
/// or status (`token_type`, `statut_email`), a setting (`password_min_length`).
/// One of them anywhere cancels every positive word.
fn is_metadata(t: &str) -> bool {
    matches!(
        t,
        "count"
            | "counts"
            | "counter"
            | "nb"
            | "nbr"
            | "nombre"
            | "total"
            | "length"
            | "len"
            | "min"
            | "max"
            | "attempts"
            | "verified"
            | "unverified"
            | "verifie"
            | "confirmed"
            | "confirme"
            | "valid"
            | "validated"
            | "valide"
            | "invalid"
            | "bounced"
            | "enabled"
            | "disabled"
            | "required"
            | "optin"
            | "opt"
            | "consent"
            | "subscribed"
            | "unsubscribed"
            | "sent"
            | "send"
            | "envoye"
            | "envoi"
            | "delivered"
            | "requested"
            | "expires"
            | "expiry"
            | "expired"
            | "expiration"
            | "at"
            | "ts"
            | "timestamp"
            | "type"
            | "types"
            | "kind"
            | "status"
            | "statut"
            | "etat"
            | "format"
            | "provider"
            | "domain"
            | "prefix"
            | "template"
            | "policy"
            | "pattern"
            | "regex"
            | "strength"
            | "label"
    )
}

/// Boolean prefixes: `is_email_verified`, `has_email`, `est_actif` (only
/// as the first of several tokens: "my email is …" is no flag).
fn is_flag_prefix(t: &str) -> bool {
    matches!(t, "is" | "has" | "est" | "can" | "should" | "show" | "hide")
}

/// Classifies a field, column, JSON key or key segment by its name alone:
/// `classify_name("phone_number")` → phone, `classify_name("prenom")` →
/// person name, `classify_name("id")` → `None`.
pub fn classify_name(name: &str) -> Option<NameClass> {
    classify_tokens(&tokens(name))
}

/// Rank (lower wins), kind and confidence a single token gives.
fn token_class(t: &str) -> Option<(u8, Kind, f32)> {
    Some(match t {
        "password" | "passwd" | "pwd" | "secret" | "apikey" | "jwt" | "bearer"
        | "authorization" | "otp" | "credentials" | "motdepasse" | "mdp" => (0, Kind::Secret, 0.85),
        "token" => (1, Kind::Secret, 0.75),
        "email" | "mail" | "courriel" | "emails" => (2, Kind::Email, 0.9),
        "phone" | "tel" | "telephone" | "mobile" | "portable" | "msisdn" | "gsm" | "fax"
        | "cellphone" | "phones" => (3, Kind::Phone, 0.9),
        "iban" | "rib" => (4, Kind::Iban, 0.9),
        "nir" | "ssn" | "insee" | "secu" => (5, Kind::Nir, 0.9),
        "siret" => (6, Kind::Siret, 0.8),
        "siren" => (7, Kind::Siren, 0.8),
        "pan" | "cb" => (8, Kind::PaymentCard, 0.8),
        "birth" | "birthdate" | "birthday" | "naissance" | "dob" | "ddn" => {
            (9, Kind::DateOfBirth, 0.9)
        }
        "ip" | "ipv4" | "ipv6" => (10, Kind::IpAddress, 0.85),
        "lat" | "lng" | "lon" | "latitude" | "longitude" | "geo" => (11, Kind::Geolocation, 0.7),
        "address" | "adresse" | "addr" | "street" | "rue" | "zip" | "zipcode" | "postcode" => {
            (12, Kind::PostalAddress, 0.8)
        }
        "birthplace" => PLACE_OF_BIRTH,
        "city" | "ville" | "commune" | "town" => (13, Kind::PostalAddress, 0.6),
        "prenom" | "prenoms" | "firstname" | "lastname" | "surname" | "fullname" | "nom"
        | "patronyme" | "forename" => (14, Kind::PersonName, 0.85),
        "name" | "author" | "contact" | "beneficiary" | "holder" => (15, Kind::PersonName, 0.6),
        "notes" | "note" | "comment" | "comments" | "commentaire" | "commentaires" | "message"
        | "messages" | "msg" | "description" | "context" | "contexte" | "remarque"
        | "remarques" | "observation" | "observations" | "body" | "text" | "texte" | "content"
        | "details" | "bio" | "about" | "memo" => (16, Kind::FreeText, 0.6),
        "userid" | "uid" | "username" | "login" | "cookie" => (17, Kind::OnlineId, 0.6),
        _ => return None,
    })
}

/// A place of birth: a location that identifies (no kind of its own; the
/// postal-address kind carries the location category).
const PLACE_OF_BIRTH: (u8, Kind, f32) = (12, Kind::PostalAddress, 0.8);
const DATE_OF_BIRTH: (u8, Kind, f32) = (9, Kind::DateOfBirth, 0.9);
const BIRTH_NAME: (u8, Kind, f32) = (14, Kind::PersonName, 0.85);

/// What a compound of two tokens says, read as a whole ("first_name",
/// "nom_naissance", "birth_place"; with "de"/"of" between them too:
/// "date_de_naissance", "place_of_birth"). `Some(None)`: a compound that
/// says nothing personal although a token of it would (`last_login`).
fn pair_class(a: &str, b: &str) -> Option<Option<(u8, Kind, f32)>> {
    Some(Some(match (a, b) {
        ("api", "key") | ("private", "key") | ("mot", "passe") => (0, Kind::Secret, 0.85),
        ("e", "mail") => (2, Kind::Email, 0.9),
        ("securite", "sociale") | ("social", "security") => (5, Kind::Nir, 0.9),
        ("card", "number") | ("credit", "card") => (8, Kind::PaymentCard, 0.8),
        ("date" | "jour", "naissance") | ("birth", "date" | "day") | ("date", "birth") => {
            DATE_OF_BIRTH
        }
        ("lieu" | "ville" | "commune" | "pays" | "departement", "naissance")
        | ("birth", "place" | "city" | "town" | "country")
        | ("place" | "city" | "town" | "country", "birth") => PLACE_OF_BIRTH,
        ("nom", "naissance") | ("birth" | "maiden", "name") => BIRTH_NAME,
        ("remote", "addr") | ("forwarded", "for") => (10, Kind::IpAddress, 0.85),
        ("postal", "code") | ("code", "postal") => (12, Kind::PostalAddress, 0.8),
        ("first" | "last" | "given" | "family" | "full" | "display", "name") => {
            (14, Kind::PersonName, 0.85)
        }
        ("user" | "customer" | "account" | "session" | "device", "id")
        | ("user", "name")
        | ("nom", "utilisateur") => (17, Kind::OnlineId, 0.6),
        // Django's and others' time of the last login.
        ("last", "login") => return Some(None),
        _ => return None,
    }))
}

pub(crate) fn classify_tokens<T: AsRef<str>>(toks: &[T]) -> Option<NameClass> {
    let tok = |i: usize| -> Option<&str> {
        let t = toks.get(i)?.as_ref();
        // `address1`, `email2`, `tel12`: a number of one or two digits says
        // nothing (but `ipv4` does; `rue2001` is no numbered field).
        let bare = t.trim_end_matches(|c: char| c.is_ascii_digit());
        let numbered = matches!(t.len() - bare.len(), 1 | 2) && !bare.is_empty();
        Some(if numbered && token_class(t).is_none() {
            bare
        } else {
            t
        })
    };
    let mut best: Option<(u8, Kind, f32)> = None;
    let mut consider = |c: Option<(u8, Kind, f32)>| {
        if let Some(c) = c {
            if best.is_none_or(|b| c.0 < b.0) {
                best = Some(c);
            }
        }
    };
    let mut i = 0;
    while let Some(t) = tok(i) {
        // A compound is read as a whole: its tokens do not count alone.
        let next = tok(i + 1);
        if let Some(c) = next.and_then(|n| pair_class(t, n)) {
            consider(c);
            i += 2;
            continue;
        }
        if matches!(next, Some("de" | "of" | "du" | "d")) {
            if let Some(c) = tok(i + 2).and_then(|n| pair_class(t, n)) {
                consider(c);
                i += 3;
                continue;
            }
        }
        consider(token_class(t));
        i += 1;
    }
    // Most texts end here: the other words matter only once a kind is found.
    let (_, kind, mut confidence) = best?;
    let all = || (0..toks.len()).filter_map(tok);
    if all().any(is_metadata) || tok(0).is_some_and(|t| toks.len() > 1 && is_flag_prefix(t)) {
        return None;
    }
    if kind == Kind::PersonName && all().any(not_a_person) {
        return None;
    }
    if all().any(is_organisation) {
        confidence = confidence.min(0.6);
    }
    Some(NameClass {
        kind,
        category: kind.category(),
        confidence,
    })
}

/// Names that make a value *less* likely to be personal data: ids, order
/// numbers, versions, timestamps, hashes, counters.
#[cfg(test)]
pub(crate) fn is_negative_context(name: &str) -> bool {
    let toks = tokens(name);
    classify_tokens(&toks).is_none() && negative_tokens(&toks)
}

pub(crate) fn negative_tokens<T: AsRef<str>>(toks: &[T]) -> bool {
    toks.iter().any(|t| {
        matches!(
            t.as_ref(),
            "id" | "ids"
                | "uuid"
                | "guid"
                | "order"
                | "commande"
                | "ref"
                | "dossier"
                | "rdv"
                | "ticket"
                | "transaction"
                | "reference"
                | "invoice"
                | "facture"
                | "version"
                | "ver"
                | "build"
                | "release"
                | "ts"
                | "timestamp"
                | "time"
                | "created"
                | "updated"
                | "at"
                | "date"
                | "hash"
                | "digest"
                | "sha"
                | "md5"
                | "checksum"
                | "count"
                | "counter"
                | "amount"
                | "montant"
                | "price"
                | "prix"
                | "total"
                | "size"
                | "sku"
                | "ean"
                | "isbn"
                | "tracking"
                | "colis"
                | "serial"
                | "seq"
                | "nonce"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(n: &str) -> Option<Kind> {
        classify_name(n).map(|c| c.kind)
    }

    #[test]
    fn names_classify() {
        assert_eq!(kind("phone_number"), Some(Kind::Phone));
        assert_eq!(kind("phoneNumber"), Some(Kind::Phone));
        assert_eq!(kind("tel"), Some(Kind::Phone));
        assert_eq!(kind("email"), Some(Kind::Email));
        assert_eq!(kind("user_email"), Some(Kind::Email));
        assert_eq!(kind("prénom"), Some(Kind::PersonName));
        assert_eq!(kind("first_name"), Some(Kind::PersonName));
        assert_eq!(kind("lastName"), Some(Kind::PersonName));
        assert_eq!(kind("nom"), Some(Kind::PersonName));
        assert_eq!(kind("organisation_name"), None);
        assert_eq!(kind("date_naissance"), Some(Kind::DateOfBirth));
        assert_eq!(kind("birth_date"), Some(Kind::DateOfBirth));
        assert_eq!(kind("remote_ip"), Some(Kind::IpAddress));
        assert_eq!(kind("adresse"), Some(Kind::PostalAddress));
        assert_eq!(kind("encrypted_password"), Some(Kind::Secret));
        assert_eq!(kind("notes"), Some(Kind::FreeText));
        assert_eq!(kind("context"), Some(Kind::FreeText));
        assert_eq!(kind("nir"), Some(Kind::Nir));
        assert_eq!(kind("iban"), Some(Kind::Iban));
        assert_eq!(kind("user_id"), Some(Kind::OnlineId));
        assert_eq!(kind("id"), None);
        assert_eq!(kind("created_at"), None);
        assert_eq!(kind(""), None);
        assert_eq!(kind("zip"), Some(Kind::PostalAddress));
        assert_eq!(
            classify_name("phone").map(|c| c.category),
            Some(Category::Contact)
        );
    }

    /// Column names from real schemas (Rails/Devise, Django, Doctrine/FOSUser,
    /// French public-service apps) and what their name alone says.
    /// `name` is ambiguous (`users.name` vs `products.name`): a *weak* person
    /// name (below 0.8), so sampled values decide and an empty table still
    /// shows it.
    #[test]
    fn column_names_from_real_schemas() {
        use Kind::*;
        let table: &[(&str, Option<Kind>)] = &[
            // Rails / Devise
            ("id", None),
            ("email", Some(Email)),
            ("encrypted_password", Some(Secret)),
            ("reset_password_token", Some(Secret)),
            ("reset_password_sent_at", None),
            ("remember_created_at", None),
            ("sign_in_count", None),
            ("current_sign_in_at", None),
            ("last_sign_in_at", None),
            ("current_sign_in_ip", Some(IpAddress)),
            ("last_sign_in_ip", Some(IpAddress)),
            ("confirmation_token", Some(Secret)),
            ("confirmed_at", None),
            ("confirmation_sent_at", None),
            ("unconfirmed_email", Some(Email)),
            ("failed_attempts", None),
            ("unlock_token", Some(Secret)),
            ("locked_at", None),
            ("otp_secret", Some(Secret)),
            ("otp_required_for_login", None),
            ("created_at", None),
            ("updated_at", None),
            ("organisation_id", None),
            ("user_id", Some(OnlineId)),
            ("stripe_customer_id", Some(OnlineId)),
            ("session_id", Some(OnlineId)),
            ("first_name", Some(PersonName)),
            ("last_name", Some(PersonName)),
            ("name", Some(PersonName)),
            ("phone_number", Some(Phone)),
            ("phone_number_verified", None),
            ("phone_verified_at", None),
            ("mobile", Some(Phone)),
            ("phone", Some(Phone)),
            ("email_address", Some(Email)),
            ("user_email", Some(Email)),
            ("contact_email", Some(Email)),
            ("email_verified", None),
            ("email_verified_at", None),
            ("email_count", None),
            ("has_email", None),
            ("is_email_verified", None),
            ("ip", Some(IpAddress)),
            ("remote_addr", Some(IpAddress)),
            ("ip_count", None),
            ("access_token", Some(Secret)),
            ("token_type", None),
            ("token_count", None),
            ("token_expires_at", None),
            ("api_key", Some(Secret)),
            ("notes", Some(FreeText)),
            ("context", Some(FreeText)),
            ("description", Some(FreeText)),
            ("address1", Some(PostalAddress)),
            ("address_line_2", Some(PostalAddress)),
            ("street2", Some(PostalAddress)),
            ("zip_code", Some(PostalAddress)),
            ("city", Some(PostalAddress)),
            ("latitude", Some(Geolocation)),
            ("iban", Some(Iban)),
            // A BIC names the bank, not the account or its holder.
            ("bic", None),
            ("birth_date", Some(DateOfBirth)),
            ("date_of_birth", Some(DateOfBirth)),
            ("dob", Some(DateOfBirth)),
            ("status", None),
            ("type", None),
            ("user_agent", None),
            ("locale", None),
            // Django
            ("password", Some(Secret)),
            ("last_login", None),
            ("is_superuser", None),
            ("username", Some(OnlineId)),
            ("is_staff", None),
            ("is_active", None),
            ("date_joined", None),
            // Doctrine / FOSUserBundle
            ("username_canonical", Some(OnlineId)),
            ("email_canonical", Some(Email)),
            ("enabled", None),
            ("password_requested_at", None),
            ("roles", None),
            // French schemas
            ("nom", Some(PersonName)),
            ("prenom", Some(PersonName)),
            ("nom_client", Some(PersonName)),
            ("nom_naissance", Some(PersonName)),
            ("nom_de_naissance", Some(PersonName)),
            ("birth_name", Some(PersonName)),
            ("maiden_name", Some(PersonName)),
            ("nom_fichier", None),
            ("nom_produit", None),
            ("nom_societe", None),
            ("nom_société", None),
            ("nom_entreprise", None),
            ("company_name", None),
            ("organisation_name", None),
            ("date_naissance", Some(DateOfBirth)),
            ("date_de_naissance", Some(DateOfBirth)),
            ("lieu_naissance", Some(PostalAddress)),
            ("lieu_de_naissance", Some(PostalAddress)),
            ("ville_naissance", Some(PostalAddress)),
            ("birth_place", Some(PostalAddress)),
            ("place_of_birth", Some(PostalAddress)),
            ("telephone", Some(Phone)),
            ("adresse", Some(PostalAddress)),
            ("code_postal", Some(PostalAddress)),
            ("mot_de_passe", Some(Secret)),
            ("nir", Some(Nir)),
            ("numero_secu", Some(Nir)),
            ("siret", Some(Siret)),
            ("nb_emails", None),
            ("statut_email", None),
        ];
        assert!(table.len() >= 60);
        let wrong: Vec<String> = table
            .iter()
            .filter(|(n, want)| kind(n) != *want)
            .map(|(n, want)| format!("{n}: want {want:?}, got {:?}", kind(n)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
        // Place of birth is a location; `name` alone is weak.
        assert_eq!(
            classify_name("lieu_naissance").map(|c| c.category),
            Some(Category::Location)
        );
        assert!(classify_name("name").is_some_and(|c| c.confidence < 0.8));
        assert!(classify_name("nom_naissance").is_some_and(|c| c.confidence >= 0.8));
    }

    /// A birth name is a name, even though "naissance" alone says date of
    /// birth: the whole value of such a field is a person's name.
    #[test]
    fn birth_name_fields_hold_names() {
        let det = crate::pii::Detector::global();
        for ctx in [
            "nom_naissance",
            "nom_de_naissance",
            "birth_name",
            "maiden_name",
        ] {
            let hits = det.scan_text("Martin", Some(ctx));
            assert!(
                hits.iter().any(|h| h.kind == Kind::PersonName),
                "{ctx}: {hits:?}"
            );
        }
        let hits = det.scan_text("15/03/1984", Some("date_naissance"));
        assert!(hits.iter().any(|h| h.kind == Kind::DateOfBirth), "{hits:?}");
    }

    #[test]
    fn negative_contexts() {
        assert!(is_negative_context("order_id"));
        assert!(is_negative_context("version"));
        assert!(!is_negative_context("phone"));
        assert!(!is_negative_context("user_id"));
    }

    #[test]
    fn last_tokens_are_the_last_three_tokens() {
        for s in [
            "",
            " ",
            "Tél : ",
            "commande n° ",
            "order_id=",
            "firstName lastName",
            "phoneNumber: ",
            "ÉCOLE Île-de-France",
            "x\u{130}y İ İİ",
            "ß straße STRASSE",
            "a1B2c3D4 e5F6",
            "\u{1F600}mail\u{1F600}",
            "n° SIRET",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}\u{130}",
        ] {
            assert!(s.len() <= LastTokens::MAX_TEXT, "{s}");
            let all = tokens(s);
            let want: Vec<&str> = all[all.len().saturating_sub(3)..]
                .iter()
                .map(String::as_str)
                .collect();
            let last = LastTokens::of(s);
            let (got, n) = last.words();
            assert_eq!(&got[..n], want.as_slice(), "{s}");
        }
    }

    #[test]
    fn first_names() {
        for w in [
            "Camille",
            "JEAN",
            "Hélène",
            "helene",
            "François",
            "Francois",
            "FRANÇOIS",
            "francois",
            "Franc\u{327}ois",
            "Thibault",
            "Jules",
            "Aïcha",
            "Aicha",
            "João",
            "Joao",
            "Zoë",
            "Lætitia",
            "Laetitia",
            "Jean-Pierre",
            "Marie-Ange",
            "Mamadou",
            "Fatoumata",
            "Mehmet",
            "Ayşe",
            "Małgorzata",
            "Pierre",
            "Claire",
        ] {
            assert!(is_first_name(w), "{w}");
        }
        for w in [
            "Paris",
            "France",
            "Rose",
            "Olive",
            "Ange",
            "Max",
            "Will",
            "Grace",
            "Côme",
            "Bonjour",
            "Madame",
            "Dupont",
            "",
            "a",
            "Jean-",
            "-Jean",
            "Jean-Dupont",
            "Jean2",
            "Jean Paul",
            "Ĳ",
            "名前",
        ] {
            assert!(!is_first_name(w), "{w}");
        }
        let long = "a".repeat(MAX_NAME + 1);
        assert!(!is_first_name(&long));
    }

    /// The header of `data/first_names.txt` states the rule; this holds the
    /// file to it.
    #[test]
    fn first_name_list_is_large_and_tidy() {
        let lines: Vec<&str> = first_name_lines().collect();
        for l in &lines {
            assert!(name_key(l).is_some(), "{l}: not a foldable name");
            assert_eq!(l.to_lowercase(), *l, "{l}: not lowercase");
        }
        assert!(FIRST_NAMES.len() >= 2000, "{}", FIRST_NAMES.len());
        assert_eq!(
            FIRST_NAMES.len(),
            lines.len(),
            "one spelling per folded name"
        );
        // Words that would be taken for first names before a capital.
        for w in [
            "rose",
            "olive",
            "grace",
            "hope",
            "joy",
            "may",
            "june",
            "april",
            "will",
            "mark",
            "bill",
            "max",
            "ray",
            "page",
            "summer",
            "ruby",
            "angel",
            "france",
            "paris",
            "nancy",
            "lorraine",
            "orly",
            "milan",
            "ange",
            "reine",
            "blanche",
            "constant",
            "junior",
            "come",
            "loan",
            "toussaint",
            "thu",
            "jun",
            "viet",
        ] {
            assert!(!is_first_name(w), "{w}");
        }
    }

    /// Names found without their accents, in text and in key names.
    #[test]
    fn first_names_without_accents_are_found() {
        let det = crate::pii::Detector::global();
        let person = |hits: &[crate::pii::Hit]| hits.iter().any(|h| h.kind == Kind::PersonName);
        for text in [
            "Francois Dupont",
            "François Dupont",
            "Bonjour Francois",
            "Bonjour Jules",
            "Thibault Martin",
            "Rendez-vous avec Aicha Benali demain",
            "JEAN-PIERRE Durand",
            "Bonjour Marie-Claire",
            "Bonjour Jean-Pierre",
        ] {
            let hits = det.scan_text(text, None);
            assert!(person(&hits), "{text}: {hits:?}");
        }
        for text in [
            "France Travail",
            "Bonjour France",
            "Rose Garden",
            "Max Retries",
        ] {
            let hits = det.scan_text(text, None);
            assert!(!person(&hits), "{text}: {hits:?}");
        }
        for key in [
            "user:francois.dupont",
            "user:jules.martin",
            "crm:Thibault Martin",
        ] {
            let hits = crate::pii::keys::key_hits(key.as_bytes(), b":");
            assert!(person(&hits), "{key}: {hits:?}");
        }
        for key in ["cdn:rose.png", "config:max.retries", "fr:come.back"] {
            let hits = crate::pii::keys::key_hits(key.as_bytes(), b":");
            assert!(!person(&hits), "{key}: {hits:?}");
        }
    }
}
