"""The project's own review of the shipped lists, for a civic meeting (used by sources.py).

Written by reading every term the two sources agree is severe, and the strong terms of each
language that one source misses. Three tables, each keyed by language code:

ORDINARY       ordinary words of that language: never flagged in a text written in it,
               whichever list has them ("negro" is the colour in Spanish, "retard" a delay
               in French, "con" means "with" in Spanish), and only mild in a text of
               unknown language. Civic topics belong here too: health, sex education,
               policing, drugs policy and faith are what public meetings discuss.
REVIEW_MILD    listed terms that flag for moderators but never hold a question: anatomy,
               medicine, law, mild oaths, insults without profanity ("idiot", "cretino"),
               and words with a common clean meaning ("hooker", "flange", "cassete").
REVIEW_SEVERE  strong profanity and slurs one source misses or under-rates ("shit" is a 1
               in cuss; German has no rated list at all).

Change these with a test sentence that shows why (tests/moderation/data/).
"""

from __future__ import annotations

__all__ = ["ORDINARY", "REVIEW_MILD", "REVIEW_SEVERE"]

ORDINARY: dict[str, tuple[str, ...]] = {
    "en": (
        "con", "cons", "pipe", "queue", "trio", "mona", "gay", "lesbian", "bisexual",
        "transgender", "queer", "sex", "sexual", "sexuality", "rape", "raped", "rapist",
        "abortion", "drugs", "heroin", "cocaine", "god", "jesus", "christ", "allah",
        "hell", "damn", "kill", "murder", "assassinate", "assassination", "breast",
        "breastfeeding", "vagina", "vaginal", "condom", "condoms", "hiv", "aids", "lgbt",
        "lgbtq", "pride", "nude", "naked", "prostitution", "escort", "cocktail",
        "hancock", "scunthorpe", "essex", "sussex", "middlesex", "dick", "cock", "balls",
        "screw", "butt", "crack", "weed", "pot", "addict", "addiction", "drug", "abuse",
        "abused", "teste", "testes",
    ),
    "es": (
        "con", "negro", "negra", "negros", "negras", "bolas", "sexo", "sexual", "sexo oral",
        "heroína", "heroina", "trio", "trío", "vulva", "mijo", "pica", "mona", "vagabundo",
        "vagabundos", "ano", "cola", "leche", "polvo", "hueco", "paja", "palo", "pico",
        "seno", "senos", "coger", "concha", "violación", "violacion", "aborto", "drogas",
        "droga", "gay", "lesbiana", "dios", "infierno", "asesinato", "asesinar",
        "prostitución", "prostitucion", "preservativo", "condón", "condon", "vih", "sida",
        "colón", "colon",
    ),
    "fr": (
        "retard", "retards", "queue", "pipe", "ramoner", "pédale", "pédales", "pedale",
        "gay", "sexe", "sexuel", "sexuelle", "viol", "avortement", "drogue", "drogues",
        "dieu", "enfer", "préservatif", "vih", "sida", "bitte", "chatte",
        "baiser", "moule", "moules", "bourse", "gosse", "gosses", "queues", "dix",
    ),
    "pt": (
        "ano", "anos", "fica", "negro", "negra", "negros", "negras", "cassete", "cassetes",
        "vagabundo", "vagabundos", "sexo", "sexual", "estupro", "aborto", "drogas", "droga",
        "deus", "inferno", "gay", "lésbica", "camisinha", "preservativo", "hiv", "aids",
        "pica", "pau", "rola", "teste", "testes", "torneira",
    ),
    "it": ("con", "gay", "negro", "mona", "sesso", "sessuale", "stupro", "aborto", "droga", "dio"),
    "de": ("gay", "schwul", "lesbisch", "sex", "sexuell", "vergewaltigung", "drogen", "gott"),
}  # fmt: skip

REVIEW_MILD: dict[str, tuple[str, ...]] = {
    "en": (
        "crap", "crapper", "crappy", "dammit", "damnit", "goddammit", "goddamn",
        "goddamned", "goddamnit", "bugger", "piss", "pissed", "pisses", "pissing", "poop",
        "hooker", "flange", "dink", "spunk", "smut", "masturbate", "masturbating",
        "sodomy", "sodomize", "penis", "negro", "negroes", "negros", "twink", "twinkie",
        "boner", "boobies", "cum", "rimming", "poof", "shat", "jackass",
    ),
    "es": (
        "pis", "prostituta", "travesti", "semen", "pezón", "tetas", "haciendo el amor",
        "maldito", "idiota", "imbécil", "imbecil", "pervertido", "sádico", "violador",
    ),
    "fr": (
        "bordel", "gueule", "cul", "foutre", "connerie", "tapette", "chiottes", "pisser",
        "déconner", "mollard",
    ),
    "pt": (
        "bunda", "mijo", "orgasmo", "prostituta", "vagabunda", "idiota", "otário",
        "desgraçado", "biscate", "boquete", "pentelho", "cacete",
    ),
    "it": (
        "pene", "vagina", "testicolo", "scroto", "sperma", "cesso", "bordello", "cretino",
        "scemo", "femminuccia", "lecchino", "palloso", "guardone", "maroni", "anale",
        "eiacula", "eiaculare", "eiaculazione",
    ),
}  # fmt: skip

REVIEW_SEVERE: dict[str, tuple[str, ...]] = {
    "en": (
        "shit", "bullshit", "bitch", "bitches", "motherfucker", "son of a bitch", "fuck you",
        "fag", "fags", "dyke", "nigger", "cunts", "wanker", "twat", "dickhead",
        "piece of shit", "go to hell",
    ),
    "es": (
        "chingada", "chingadera", "chinga tu madre", "hijueputa", "malparido", "malparida",
        "pendeja", "culero", "cabronazo", "mamón", "mamon", "putita", "zorra", "pinche puto",
        "me cago en", "hostia puta", "concha de tu madre", "forro", "mierdas", "jódete",
        "jodete", "que se joda", "que te jodan", "jodido", "jodida",
    ),
    "fr": (
        "fdp", "ntm", "ta gueule", "ferme ta gueule", "nique", "niquer", "enculés",
        "bâtard", "batard", "pétasse", "grognasse", "pouffiasse", "sale pute", "bouffon",
        "va te faire foutre", "allez vous faire foutre", "espèce de con", "pauvre con",
        "gros con", "sale con", "bande de cons",
    ),
    "pt": (
        "merda", "viado", "arrombado", "arrombada", "cuzão", "vai tomar no cu", "vai se foder",
        "foda", "fodase", "foda-se", "puta que pariu", "filha da puta", "corno", "vadia",
        "piranha", "escroto", "bosta", "cabrão", "paneleiro", "fdp",
    ),
    "de": (
        "arschloch", "arschlöcher", "fotze", "hurensohn", "wichser", "schlampe", "nutte",
        "hure", "ficken", "fick dich", "scheiße", "scheisse", "scheiß", "scheiss", "kanake",
        "neger", "schwuchtel", "missgeburt", "drecksau", "arschficker", "schwanzlutscher",
        "verpiss dich", "halt die fresse", "spast", "mongo", "bastard",
    ),
}  # fmt: skip
