"""Question and answer templates for fictional facts, in all ten languages.

Each attribute has several question paraphrases and answer forms per language, all of them taught. Place
names are introduced with a noun in apposition ("the city of X", "die Stadt X", "העיר X"...), so that no
language has to inflect an invented name and the templates stay grammatical whatever the name is.

Held-out frames. Every question a run is scored on (target-language type-0 and type-1 questions, the
source-language questions of the gate, the ``en_subject`` control) uses the attribute's ``held_out`` frame,
a polite indirect question ("Could you tell me which continent the city of {S} is on?") that no training
prompt uses in any language: a correct answer then shows that the fact is known, not that a trained string
was recalled; answers and gold are as in training. Upstream holds out frames for German, Hebrew and Arabic
only (testDE.jsonl: "Auf welchem Kontinent liegt {S}, bitte? Antwort auf Deutsch."; docs/conductivity.md).

Name translations. Upstream (fictional/train/<LANG>.json) teaches every name target -> English with English
prompts; clika teaches the directions a run asks for (to-en, from-en or both; "en": the source language) with
two English prompts and one in the name's own language. The gate asks each taught direction with a held-out
prompt, so that it checks that the name pair is known, not that a prompt was memorised, written in the name's
own language (``--gate-prompt native``, the default) or in English (``english``: for English-centric models,
which cannot follow an instruction written in German).
"""

from __future__ import annotations

from dataclasses import dataclass

from clika.errors import ConfigError
from clika.items import LANGS


@dataclass(frozen=True)
class AttributeTemplates:
    """Templates of one attribute: ``{name}`` is the entity, ``{value}`` the value. ``questions``
    and ``answers`` are taught; ``held_out`` is the one question frame per language that tests ask."""

    questions: dict[str, tuple[str, ...]]
    answers: dict[str, tuple[str, ...]]
    held_out: dict[str, str]


CONTINENT = AttributeTemplates(
    questions={
        "en": ("On which continent is the city of {name} located?", "Which continent is the city of {name} on?",
               "Name the continent where the city of {name} lies."),
        "de": ("Auf welchem Kontinent liegt die Stadt {name}?", "Zu welchem Kontinent gehört die Stadt {name}?",
               "Nenne den Kontinent, auf dem die Stadt {name} liegt."),
        "fr": ("Sur quel continent se trouve la ville de {name} ?", "À quel continent appartient la ville de {name} ?",
               "Indique le continent où se situe la ville de {name}."),
        "it": ("In quale continente si trova la città di {name}?", "A quale continente appartiene la città di {name}?",
               "Indica il continente in cui si trova la città di {name}."),
        "pl": ("Na jakim kontynencie leży miasto {name}?", "Do którego kontynentu należy miasto {name}?",
               "Podaj kontynent, na którym leży miasto {name}."),
        "ru": ("На каком континенте находится город {name}?", "К какому континенту относится город {name}?",
               "Назовите континент, на котором находится город {name}."),
        "he": ("באיזו יבשת נמצאת העיר {name}?", "לאיזו יבשת שייכת העיר {name}?",
               "ציין את היבשת שבה נמצאת העיר {name}."),
        "ar": ("في أي قارة تقع مدينة {name}؟", "إلى أي قارة تنتمي مدينة {name}؟",
               "اذكر القارة التي تقع فيها مدينة {name}."),
        "ja": ("{name}市はどの大陸にありますか？", "{name}市はどの大陸に属していますか？", "{name}市がある大陸を答えてください。"),
        "zh": ("{name}市位于哪个大洲？", "{name}市属于哪个大洲？", "请说出{name}市所在的大洲。"),
    },
    answers={
        "en": ("The city of {name} is located on the continent of {value}.",
               "{name} lies on the continent of {value}."),
        "de": ("Die Stadt {name} liegt auf dem Kontinent {value}.", "{name} gehört zum Kontinent {value}."),
        "fr": ("La ville de {name} se trouve sur le continent {value}.", "{name} appartient au continent {value}."),
        "it": ("La città di {name} si trova nel continente {value}.", "{name} appartiene al continente {value}."),
        "pl": ("Miasto {name} leży na kontynencie {value}.", "{name} należy do kontynentu {value}."),
        "ru": ("Город {name} находится на континенте {value}.", "{name} относится к континенту {value}."),
        "he": ("העיר {name} נמצאת ביבשת {value}.", "{name} שייכת ליבשת {value}."),
        "ar": ("تقع مدينة {name} في قارة {value}.", "تنتمي {name} إلى قارة {value}."),
        "ja": ("{name}市は{value}大陸にあります。", "{name}は{value}大陸に属しています。"),
        "zh": ("{name}市位于{value}洲。", "{name}属于{value}洲。"),
    },
    held_out={
        "en": "Could you tell me which continent the city of {name} is on?",
        "de": "Können Sie mir sagen, auf welchem Kontinent die Stadt {name} liegt?",
        "fr": "Pourriez-vous me dire sur quel continent est située la ville de {name} ?",
        "it": "Potrebbe dirmi in quale continente è situata la città di {name}?",
        "pl": "Czy wiesz, na którym kontynencie położone jest miasto {name}?",
        "ru": "Не подскажете, на каком континенте расположен город {name}?",
        "he": "תוכל לומר לי באיזו יבשת ממוקמת העיר {name}?",
        "ar": "هل يمكنك أن تخبرني في أي قارة توجد مدينة {name}؟",
        "ja": "{name}市がどの大陸に位置しているか教えていただけますか？",
        "zh": "你知道{name}市在哪个大洲吗？",
    },
)  # fmt: skip

YEAR = AttributeTemplates(
    questions={
        "en": ("In which year was the city of {name} founded?", "When was the city of {name} founded?"),
        "de": ("In welchem Jahr wurde die Stadt {name} gegründet?", "Wann wurde die Stadt {name} gegründet?"),
        "fr": ("En quelle année la ville de {name} a-t-elle été fondée ?",
               "Quand la ville de {name} a-t-elle été fondée ?"),
        "it": ("In che anno è stata fondata la città di {name}?", "Quando è stata fondata la città di {name}?"),
        "pl": ("W którym roku założono miasto {name}?", "Kiedy założono miasto {name}?"),
        "ru": ("В каком году был основан город {name}?", "Когда был основан город {name}?"),
        "he": ("באיזו שנה נוסדה העיר {name}?", "מתי נוסדה העיר {name}?"),
        "ar": ("في أي عام تأسست مدينة {name}؟", "متى تأسست مدينة {name}؟"),
        "ja": ("{name}市は何年に創設されましたか？", "{name}市はいつ創設されましたか？"),
        "zh": ("{name}市是哪一年建立的？", "{name}市是什么时候建立的？"),
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
    held_out={
        "en": "Could you tell me the year in which the city of {name} was founded?",
        "de": "Können Sie mir sagen, in welchem Jahr die Stadt {name} gegründet wurde?",
        "fr": "Pourriez-vous me dire en quelle année fut fondée la ville de {name} ?",
        "it": "Potrebbe dirmi in che anno fu fondata la città di {name}?",
        "pl": "Czy wiesz, w którym roku powstało miasto {name}?",
        "ru": "Не подскажете, в каком году основали город {name}?",
        "he": "תוכל לומר לי מתי הוקמה העיר {name}?",
        "ar": "هل تعرف في أي سنة أنشئت مدينة {name}؟",
        "ja": "{name}市が創設された年を教えていただけますか？",
        "zh": "你知道{name}市是在哪一年建成的吗？",
    },
)  # fmt: skip

ATTRIBUTES: dict[str, AttributeTemplates] = {"continent": CONTINENT, "year": YEAR}

# The taught English name prompts: {name} is the name, {src}/{tgt} the English names of the languages.
TRANSLATION_PROMPTS: tuple[str, ...] = ("Translate the name {name} from {src} into {tgt}.",
                                        "What is the {tgt} name for {name} ({src})?")  # fmt: skip
TRAIN_TRANSLATION_PROMPTS: tuple[int, ...] = (0, 1, 2)  # translation_prompt's paraphrases: 2 is the native one

# Prompts written in the language of the name asked about: (taught, held out). {tgt} is the language asked for,
# in the form LANGUAGE_FORMS[prompt language] gives for this frame ("auf Englisch", "по-английски", "на иврите").
NATIVE_NAME_PROMPTS: dict[str, tuple[str, str]] = {
    "en": ("Give the {tgt} form of the place name {name}.", "What is the place {name} called in {tgt}?"),
    "de": ("Schreibe den Ortsnamen {name} auf {tgt}.", "Wie heißt der Ort {name} auf {tgt}?"),
    "fr": ("Écris le nom de lieu {name} en {tgt}.", "Comment s'appelle le lieu {name} en {tgt} ?"),
    "it": ("Scrivi il nome del luogo {name} in {tgt}.", "Come si chiama il luogo {name} in {tgt}?"),
    "pl": ("Napisz nazwę miejsca {name} po {tgt}.", "Jak nazywa się miejsce {name} po {tgt}?"),
    "ru": ("Напиши название места {name} {tgt}.", "Как называется место {name} {tgt}?"),
    "he": ("כתוב את שם המקום {name} ב{tgt}.", "איך נקרא המקום {name} ב{tgt}?"),
    "ar": ("اكتب اسم المكان {name} باللغة {tgt}.", "ما اسم المكان {name} باللغة {tgt}؟"),
    "ja": ("地名「{name}」を{tgt}で書いてください。", "「{name}」という場所は{tgt}で何と言いますか？"),
    "zh": ("请用{tgt}写出地名“{name}”。", "地名“{name}”用{tgt}怎么说？"),
}  # fmt: skip

LANGUAGE_FORMS: dict[str, dict[str, str]] = {
    prompt_lang: dict(zip(("en", "de", "zh", "ja", "fr", "it", "ru", "pl", "he", "ar"), forms.split("|")))
    for prompt_lang, forms in {
        "en": "English|German|Chinese|Japanese|French|Italian|Russian|Polish|Hebrew|Arabic",
        "de": "Englisch|Deutsch|Chinesisch|Japanisch|Französisch|Italienisch|Russisch|Polnisch|Hebräisch|Arabisch",
        "fr": "anglais|allemand|chinois|japonais|français|italien|russe|polonais|hébreu|arabe",
        "it": "inglese|tedesco|cinese|giapponese|francese|italiano|russo|polacco|ebraico|arabo",
        "pl": "angielsku|niemiecku|chińsku|japońsku|francusku|włosku|rosyjsku|polsku|hebrajsku|arabsku",
        "ru": "по-английски|по-немецки|по-китайски|по-японски|по-французски|по-итальянски|по-русски|по-польски|"
              "на иврите|по-арабски",
        "he": "אנגלית|גרמנית|סינית|יפנית|צרפתית|איטלקית|רוסית|פולנית|עברית|ערבית",
        "ar": "الإنجليزية|الألمانية|الصينية|اليابانية|الفرنسية|الإيطالية|الروسية|البولندية|العبرية|العربية",
        "ja": "英語|ドイツ語|中国語|日本語|フランス語|イタリア語|ロシア語|ポーランド語|ヘブライ語|アラビア語",
        "zh": "英语|德语|中文|日语|法语|意大利语|俄语|波兰语|希伯来语|阿拉伯语",
    }.items()
}  # fmt: skip
LANGUAGE_NAMES: dict[str, str] = {lang: LANGUAGE_FORMS["en"][lang] for lang in LANGS}  # each language's English name

# The gate's prompt language, a protocol condition: recorded in every manifest and in the task label of
# non-default results (clika.conduct.run).
GATE_PROMPTS: tuple[str, ...] = ("native", "english")


def translation_prompt(name: str, src: str, tgt: str, paraphrase: int = 0) -> str:
    """A taught name prompt: paraphrases 0 and 1 are English (as upstream), 2 is written in ``src``."""
    if paraphrase == 2:
        return native_name_prompt(name, src, tgt, held_out=False)
    return TRANSLATION_PROMPTS[paraphrase].format(name=name, src=LANGUAGE_NAMES[src], tgt=LANGUAGE_NAMES[tgt])


def native_name_prompt(name: str, written_in: str, tgt: str, held_out: bool = True) -> str:
    """The name ``name`` asked for in ``tgt``, with the prompt written in ``written_in`` (the
    name's own language, except for gate_name_prompt's English prompt)."""
    return NATIVE_NAME_PROMPTS[written_in][int(held_out)].format(name=name, tgt=LANGUAGE_FORMS[written_in][tgt])


def gate_name_prompt(name: str, src: str, tgt: str, gate_prompt: str = "native") -> str:
    """The gate's held-out prompt for the name ``name`` (in ``src``) asked for in ``tgt``."""
    if gate_prompt not in GATE_PROMPTS:
        raise ConfigError(f"unknown gate prompt {gate_prompt!r} (one of {', '.join(GATE_PROMPTS)})")
    return native_name_prompt(name, src if gate_prompt == "native" else "en", tgt)


def template_text(lang: str) -> list[str]:
    """Every template written in ``lang`` (fact questions taught and held out, answers, name prompts): the text
    an invented continent may not occur in, or "the gold occurs in the answer" could be fooled."""
    facts = [t for a in ATTRIBUTES.values() for t in (*a.questions[lang], a.held_out[lang], *a.answers[lang])]
    names = [t.replace("{tgt}", form) for t in NATIVE_NAME_PROMPTS[lang] for form in LANGUAGE_FORMS[lang].values()]
    english = [t.format(name="{name}", src=s, tgt=g) for t in TRANSLATION_PROMPTS
               for s in LANGUAGE_NAMES.values() for g in LANGUAGE_NAMES.values()] if lang == "en" else []
    return facts + names + english
