"""Question and answer templates for fictional facts, in all ten languages.

Each attribute has several question paraphrases and answer forms per language.
Place names are introduced with a noun in apposition ("the city of X",
"die Stadt X", "העיר X"...), so that no language has to inflect an invented name
and the templates stay grammatical whatever the name is. Paraphrase 0 is the
one used for test questions; all paraphrases are used for training.

Name translations are asked in English, as upstream does.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "zh": "Chinese", "ja": "Japanese", "fr": "French", "de": "German",
    "it": "Italian", "ru": "Russian", "pl": "Polish", "he": "Hebrew", "ar": "Arabic",
}  # fmt: skip


@dataclass(frozen=True)
class AttributeTemplates:
    """Templates of one attribute: ``{name}`` is the entity, ``{value}`` the value."""

    questions: dict[str, tuple[str, ...]]
    answers: dict[str, tuple[str, ...]]


CONTINENT = AttributeTemplates(
    questions={
        "en": ("On which continent is the city of {name} located?",
               "Which continent is the city of {name} on?",
               "Name the continent where the city of {name} lies."),
        "de": ("Auf welchem Kontinent liegt die Stadt {name}?",
               "Zu welchem Kontinent gehört die Stadt {name}?",
               "Nenne den Kontinent, auf dem die Stadt {name} liegt."),
        "fr": ("Sur quel continent se trouve la ville de {name} ?",
               "À quel continent appartient la ville de {name} ?",
               "Indique le continent où se situe la ville de {name}."),
        "it": ("In quale continente si trova la città di {name}?",
               "A quale continente appartiene la città di {name}?",
               "Indica il continente in cui si trova la città di {name}."),
        "pl": ("Na jakim kontynencie leży miasto {name}?",
               "Do którego kontynentu należy miasto {name}?",
               "Podaj kontynent, na którym leży miasto {name}."),
        "ru": ("На каком континенте находится город {name}?",
               "К какому континенту относится город {name}?",
               "Назовите континент, на котором находится город {name}."),
        "he": ("באיזו יבשת נמצאת העיר {name}?",
               "לאיזו יבשת שייכת העיר {name}?",
               "ציין את היבשת שבה נמצאת העיר {name}."),
        "ar": ("في أي قارة تقع مدينة {name}؟",
               "إلى أي قارة تنتمي مدينة {name}؟",
               "اذكر القارة التي تقع فيها مدينة {name}."),
        "ja": ("{name}市はどの大陸にありますか？",
               "{name}市はどの大陸に属していますか？",
               "{name}市がある大陸を答えてください。"),
        "zh": ("{name}市位于哪个大洲？",
               "{name}市属于哪个大洲？",
               "请说出{name}市所在的大洲。"),
    },
    answers={
        "en": ("The city of {name} is located on the continent of {value}.",
               "{name} lies on the continent of {value}."),
        "de": ("Die Stadt {name} liegt auf dem Kontinent {value}.",
               "{name} gehört zum Kontinent {value}."),
        "fr": ("La ville de {name} se trouve sur le continent {value}.",
               "{name} appartient au continent {value}."),
        "it": ("La città di {name} si trova nel continente {value}.",
               "{name} appartiene al continente {value}."),
        "pl": ("Miasto {name} leży na kontynencie {value}.",
               "{name} należy do kontynentu {value}."),
        "ru": ("Город {name} находится на континенте {value}.",
               "{name} относится к континенту {value}."),
        "he": ("העיר {name} נמצאת ביבשת {value}.",
               "{name} שייכת ליבשת {value}."),
        "ar": ("تقع مدينة {name} في قارة {value}.",
               "تنتمي {name} إلى قارة {value}."),
        "ja": ("{name}市は{value}大陸にあります。",
               "{name}は{value}大陸に属しています。"),
        "zh": ("{name}市位于{value}洲。",
               "{name}属于{value}洲。"),
    },
)  # fmt: skip

YEAR = AttributeTemplates(
    questions={
        "en": ("In which year was the city of {name} founded?",
               "When was the city of {name} founded?"),
        "de": ("In welchem Jahr wurde die Stadt {name} gegründet?",
               "Wann wurde die Stadt {name} gegründet?"),
        "fr": ("En quelle année la ville de {name} a-t-elle été fondée ?",
               "Quand la ville de {name} a-t-elle été fondée ?"),
        "it": ("In che anno è stata fondata la città di {name}?",
               "Quando è stata fondata la città di {name}?"),
        "pl": ("W którym roku założono miasto {name}?",
               "Kiedy założono miasto {name}?"),
        "ru": ("В каком году был основан город {name}?",
               "Когда был основан город {name}?"),
        "he": ("באיזו שנה נוסדה העיר {name}?",
               "מתי נוסדה העיר {name}?"),
        "ar": ("في أي عام تأسست مدينة {name}؟",
               "متى تأسست مدينة {name}؟"),
        "ja": ("{name}市は何年に創設されましたか？",
               "{name}市はいつ創設されましたか？"),
        "zh": ("{name}市是哪一年建立的？",
               "{name}市是什么时候建立的？"),
    },
    answers={
        "en": ("The city of {name} was founded in {value}.",),
        "de": ("Die Stadt {name} wurde im Jahr {value} gegründet.",),
        "fr": ("La ville de {name} a été fondée en {value}.",),
        "it": ("La città di {name} è stata fondata nel {value}.",),
        "pl": ("Miasto {name} założono w roku {value}.",),
        "ru": ("Город {name} был основан в {value} году.",),
        "he": ("העיר {name} נוסדה בשנת {value}.",),
        "ar": ("تأسست مدينة {name} عام {value}.",),
        "ja": ("{name}市は{value}年に創設されました。",),
        "zh": ("{name}市建立于{value}年。",),
    },
)  # fmt: skip

ATTRIBUTES: dict[str, AttributeTemplates] = {"continent": CONTINENT, "year": YEAR}

# Name translation prompts (asked in English, as upstream); {src}/{tgt} are language names.
# Training uses TRAIN_TRANSLATION_PROMPTS only; the gate's translation test uses the
# held-out one, so it checks that the name is known, not that a prompt was memorised.
TRANSLATION_PROMPTS: tuple[str, ...] = (
    "Translate the name {name} from {src} into {tgt}.",
    "What is the {tgt} name for {name} ({src})?",
    "How is the place called {name} in {src} written in {tgt}?",
)
TRAIN_TRANSLATION_PROMPTS: tuple[int, ...] = (0, 1)
HELD_OUT_TRANSLATION_PROMPT = 2


def translation_prompt(name: str, src: str, tgt: str, paraphrase: int = 0) -> str:
    template = TRANSLATION_PROMPTS[paraphrase % len(TRANSLATION_PROMPTS)]
    return template.format(name=name, src=LANGUAGE_NAMES[src], tgt=LANGUAGE_NAMES[tgt])
