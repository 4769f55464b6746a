//! Synthetic French people, addresses and network details for the demo data.
//!
//! Everything here is made up: e-mails use reserved example domains or the
//! names of common French providers, phone numbers are well-formed French
//! mobiles, IP addresses come from the documentation ranges (RFC 5737 and
//! RFC 3849). A person is a pure function of `(seed, user_id)`, so the
//! Postgres and Redis seeders describe the *same* person for the same id, and
//! a rights request finds them in both stores.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub const FIRST_NAMES_F: &[&str] = &[
    "Marie",
    "Jeanne",
    "Françoise",
    "Monique",
    "Catherine",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Sophie",
    "Christine",
    "Martine",
    "Valérie",
    "Sandrine",
    "Céline",
    "Aurélie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Emma",
    "Inès",
    "Jade",
    "Louise",
    "Zoé",
    "Amandine",
    "Élodie",
    "Hélène",
    "Brigitte",
    "Nicole",
    "Fatima",
    "Aïcha",
    "Yasmine",
    "Mélanie",
    "Laëtitia",
    "Océane",
    "Anaïs",
    "Gisèle",
    "Colette",
    "Josiane",
    "Odile",
];

pub const FIRST_NAMES_M: &[&str] = &[
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "Alain",
    "Bernard",
    "Jacques",
    "Daniel",
    "Christophe",
    "Patrick",
    "Nicolas",
    "Stéphane",
    "Laurent",
    "Julien",
    "Thomas",
    "Maxime",
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Nathan",
    "Théo",
    "Mohamed",
    "Karim",
    "Youssef",
    "Sébastien",
    "Frédéric",
    "Guillaume",
    "Antoine",
    "Jérôme",
    "François",
    "Rémi",
    "Loïc",
    "Gaël",
    "Hervé",
    "Didier",
    "Thierry",
    "Benoît",
];

pub const LAST_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martinez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Le Gall",
    "N'Diaye",
    "Benali",
    "Nguyen",
    "Da Silva",
    "Ben Salah",
];

/// (street type, street name) pairs; the number is drawn separately.
pub const STREETS: &[&str] = &[
    "rue de la Paix",
    "rue Victor Hugo",
    "avenue Jean Jaurès",
    "boulevard Gambetta",
    "rue de la République",
    "place de la Mairie",
    "rue Pasteur",
    "allée des Tilleuls",
    "chemin des Vignes",
    "rue du Moulin",
    "impasse des Lilas",
    "avenue de la Gare",
    "rue Jules Ferry",
    "rue des Écoles",
    "boulevard Voltaire",
    "rue Émile Zola",
    "avenue du Général de Gaulle",
    "rue de l'Église",
    "rue du Stade",
    "route de Lyon",
    "rue Louise Michel",
    "quai des Chartrons",
    "cours Mirabeau",
    "rue Nationale",
    "rue Saint-Michel",
    "résidence Les Peupliers",
    "rue des Acacias",
    "avenue Foch",
];

/// (postcode, city, département code)
pub const CITIES: &[(&str, &str, &str)] = &[
    ("75002", "Paris", "75"),
    ("75011", "Paris", "75"),
    ("75019", "Paris", "75"),
    ("13001", "Marseille", "13"),
    ("13013", "Marseille", "13"),
    ("69003", "Lyon", "69"),
    ("69100", "Villeurbanne", "69"),
    ("31000", "Toulouse", "31"),
    ("06000", "Nice", "06"),
    ("44000", "Nantes", "44"),
    ("67000", "Strasbourg", "67"),
    ("34000", "Montpellier", "34"),
    ("33000", "Bordeaux", "33"),
    ("59000", "Lille", "59"),
    ("59100", "Roubaix", "59"),
    ("35000", "Rennes", "35"),
    ("51100", "Reims", "51"),
    ("26000", "Valence", "26"),
    ("26200", "Montélimar", "26"),
    ("62300", "Lens", "62"),
    ("80000", "Amiens", "80"),
    ("64000", "Pau", "64"),
    ("97400", "Saint-Denis", "974"),
    ("08000", "Charleville-Mézières", "08"),
    ("55100", "Verdun", "55"),
    ("92000", "Nanterre", "92"),
    ("93200", "Saint-Denis", "93"),
    ("95000", "Cergy", "95"),
];

pub const EMAIL_DOMAINS: &[&str] = &[
    "example.org",
    "example.fr",
    "example.com",
    "orange.fr",
    "laposte.net",
    "free.fr",
    "gmail.com",
    "wanadoo.fr",
    "sfr.fr",
    "hotmail.fr",
    "yahoo.fr",
];

pub const ORG_KINDS: &[&str] = &[
    "Maison France Services",
    "CCAS",
    "Maison départementale des solidarités",
    "PMI",
    "Service social départemental",
    "Mission locale",
    "Conseiller numérique",
];

const NOTES: &[&str] = &[
    "{civ} {last} malentendante, appeler sa fille au {phone}",
    "Préfère être contacté·e le matin. Interprète arabe souhaité.",
    "Suivi RSA en cours, dossier CAF n° {digits}.",
    "Ne pas appeler au travail. Adresse de repli : {address}",
    "{civ} {last} se déplace en fauteuil, RDV au rez-de-chaussée.",
    "Victime de violences conjugales — ne jamais écrire à l'adresse du domicile.",
    "Curatelle renforcée, mandataire joignable au {phone}.",
    "Rappeler pour la demande de logement social.",
    "Absent·e deux fois sans prévenir.",
    "Demande d'aide alimentaire, 3 enfants à charge.",
];

const CONTEXTS: &[&str] = &[
    "Premier rendez-vous d'ouverture de droits RSA.",
    "{civ} {last} vient avec son fils, traduction nécessaire.",
    "Point sur le dossier MDPH, apporter le certificat médical.",
    "Accompagnement budget, dettes de loyer.",
    "Rappeler {first} au {phone} si retard.",
    "Suivi grossesse, consultation PMI.",
    "Aide à la déclaration d'impôts en ligne.",
    "RDV suite signalement, situation sensible.",
    "",
];

/// One synthetic person. Every optional field is really optional in the demo.
#[derive(Debug, Clone)]
pub struct Person {
    pub female: bool,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// (year, month, day)
    pub birth_date: (i32, u32, u32),
    pub notes: Option<String>,
}

/// Deterministic generator of synthetic values.
pub struct Fake {
    pub rng: SmallRng,
}

/// Mix a seed with a stream id and an index into a new seed (splitmix64), so
/// independent generators (one per person, one per table) never share state.
pub fn mix(seed: u64, stream: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_add(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(index.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The person behind user `id` (1-based) for this seed.
pub fn person(seed: u64, id: u64) -> Person {
    let mut f = Fake::new(mix(seed, 1, id));
    f.person(id)
}

fn ascii_slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '\'' => '-',
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        }
    }
    out
}

impl Fake {
    pub fn new(seed: u64) -> Self {
        Fake {
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.rng.random_range(0..list.len())]
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    pub fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| HEX[self.rng.random_range(0..16)] as char)
            .collect()
    }

    pub fn digits(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b'0' + self.rng.random_range(0..10u8)))
            .collect()
    }

    pub fn uuid(&mut self) -> String {
        let h = self.hex(32);
        // version 4, variant 10xx
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            ["8", "9", "a", "b"][self.rng.random_range(0..4)],
            &h[17..20],
            &h[20..32]
        )
    }

    pub fn first_name(&mut self, female: bool) -> &'static str {
        if female {
            self.pick(FIRST_NAMES_F)
        } else {
            self.pick(FIRST_NAMES_M)
        }
    }

    pub fn last_name(&mut self) -> &'static str {
        self.pick(LAST_NAMES)
    }

    /// A French mobile number in one of the three usual spellings.
    pub fn phone(&mut self) -> String {
        let lead = if self.chance(0.7) { '6' } else { '7' };
        let d = self.digits(8);
        let pairs = format!("{}{}", &d[0..2], &d[2..]);
        match self.rng.random_range(0..3) {
            0 => format!(
                "0{lead} {} {} {} {}",
                &pairs[0..2],
                &pairs[2..4],
                &pairs[4..6],
                &pairs[6..8]
            ),
            1 => format!(
                "+33 {lead} {} {} {} {}",
                &pairs[0..2],
                &pairs[2..4],
                &pairs[4..6],
                &pairs[6..8]
            ),
            _ => format!("0{lead}{pairs}"),
        }
    }

    pub fn email(&mut self, first: &str, last: &str, birth_year: i32) -> String {
        let f = ascii_slug(first);
        let l = ascii_slug(last);
        let domain = self.pick(EMAIL_DOMAINS);
        let local = match self.rng.random_range(0..5) {
            0 => format!("{f}.{l}"),
            1 => format!("{}{l}", f.chars().next().unwrap_or('x')),
            2 => format!("{f}.{l}{}", birth_year % 100),
            3 => format!("{l}.{f}{}", self.rng.random_range(1..100)),
            _ => format!("{f}{}", self.rng.random_range(1..10_000)),
        };
        format!("{local}@{domain}")
    }

    /// (street line, postcode, city, département)
    pub fn address_parts(&mut self) -> (String, &'static str, &'static str, &'static str) {
        let n = self.rng.random_range(1..180);
        let bis = if self.chance(0.05) { " bis" } else { "" };
        let street = self.pick(STREETS);
        let (cp, city, dep) = CITIES[self.rng.random_range(0..CITIES.len())];
        (format!("{n}{bis} {street}"), cp, city, dep)
    }

    /// `12 rue de la Paix 75002 Paris`
    pub fn address(&mut self) -> String {
        let (street, cp, city, _) = self.address_parts();
        format!("{street} {cp} {city}")
    }

    /// An IPv4 address from the three documentation ranges.
    pub fn ipv4(&mut self) -> String {
        let net = self.pick(&["203.0.113", "198.51.100", "192.0.2"]);
        format!("{net}.{}", self.rng.random_range(1..255))
    }

    /// An IPv6 address in 2001:db8::/32.
    pub fn ipv6(&mut self) -> String {
        format!(
            "2001:db8:{:x}:{:x}::{:x}",
            self.rng.random_range(0..0xffffu32),
            self.rng.random_range(0..0xffffu32),
            self.rng.random_range(1..0xffffu32)
        )
    }

    pub fn person(&mut self, id: u64) -> Person {
        let female = self.chance(0.55);
        let first_name = self.first_name(female).to_string();
        let last_name = self.last_name().to_string();
        let birth_name = (female && self.chance(0.25)).then(|| self.last_name().to_string());
        let year = self.rng.random_range(1935..2006);
        let birth_date = (
            year,
            self.rng.random_range(1..=12),
            self.rng.random_range(1..=28),
        );
        // ~12% phone only, ~5% e-mail only, the rest both.
        let roll = self.rng.random_range(0..100);
        let email = (roll >= 12).then(|| {
            let e = self.email(&first_name, &last_name, year);
            // Keep e-mails unique across users: a few real-life collisions
            // would muddy the rights-request demo.
            let (local, domain) = e.split_once('@').unwrap_or((&e, "example.org"));
            if id.is_multiple_of(7) {
                format!("{local}.{id}@{domain}")
            } else {
                format!("{local}{id}@{domain}")
            }
        });
        let phone = (!(12..17).contains(&roll)).then(|| self.phone());
        let address = self.chance(0.7).then(|| self.address());
        let notes = self.chance(0.2).then(|| {
            let civ = if female { "Mme" } else { "M." };
            let template = self.pick(NOTES);
            self.fill(template, civ, &first_name, &last_name)
        });
        Person {
            female,
            first_name,
            last_name,
            birth_name,
            email,
            phone,
            address,
            birth_date,
            notes,
        }
    }

    /// Free text an agent writes on an appointment, sometimes with personal data.
    pub fn context(&mut self, p: &Person) -> Option<String> {
        let t = self.pick(CONTEXTS);
        if t.is_empty() {
            return None;
        }
        let civ = if p.female { "Mme" } else { "M." };
        Some(self.fill(t, civ, &p.first_name, &p.last_name))
    }

    fn fill(&mut self, template: &str, civ: &str, first: &str, last: &str) -> String {
        let mut s = template
            .replace("{civ}", civ)
            .replace("{first}", first)
            .replace("{last}", last);
        if s.contains("{phone}") {
            let ph = self.phone();
            s = s.replace("{phone}", &ph);
        }
        if s.contains("{digits}") {
            let d = self.digits(7);
            s = s.replace("{digits}", &d);
        }
        if s.contains("{address}") {
            let a = self.address();
            s = s.replace("{address}", &a);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_a_function_of_seed_and_id() {
        let a = person(42, 17);
        let b = person(42, 17);
        assert_eq!(a.first_name, b.first_name);
        assert_eq!(a.email, b.email);
        assert_eq!(a.phone, b.phone);
        assert!(a.email.is_some() || a.phone.is_some());
    }

    #[test]
    fn values_have_the_expected_shapes() {
        let mut f = Fake::new(1);
        for _ in 0..200 {
            let ip = f.ipv4();
            assert!(
                ip.starts_with("203.0.113.")
                    || ip.starts_with("198.51.100.")
                    || ip.starts_with("192.0.2."),
                "{ip}"
            );
            assert!(f.ipv6().starts_with("2001:db8:"));
            let ph: String = f.phone().chars().filter(|c| c.is_ascii_digit()).collect();
            assert!(ph.len() == 10 || ph.len() == 11, "{ph}");
            assert_eq!(f.uuid().len(), 36);
        }
    }
}
