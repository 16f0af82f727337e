"""Risky wording the check used to miss on unseen letters (issue 20, round 3), read from the parse.

Each kind has fresh sentences (none from any letter of the corpus) that must be flagged and
near-misses that must stay quiet: a promise inside a reason clause or a prognosis (…ますので,
…見立てでございます), absolute negatives, promised acts, admissions in other words (a lapse named
as the cause, 弁解の余地もございません, costs the facility offers to bear), vague answers with
方向で, and measures already taken, which are reports and not promises."""

import re

import pytest

from desktop_app.core.checks.rules.risk import DependencyRiskRule, load_risk_data
from tests.core.checks.test_risk_dependency import first_suggestions_clear_the_risk

pytestmark = pytest.mark.nlp

CTX = {"recipient": {"name": "岡田 直樹"}, "subject": {"name": "岡田 キヨ"}, "sender": {"name": "三好 彩"},
       "facility": {"name": "特別養護老人ホーム ひまわり苑"}}


def risks(runner, text):
    return [(f.category, f.text) for f in runner.check(text, CTX) if f.category.startswith("risk.")]


C, L, A = "risk.commitment", "risk.liability", "risk.ambiguous"

# (sentence, category, words the highlighted span must hold)
FLAGGED = {
    "embedded promise": [
        ("このお薬を飲み続ければ必ず痛みが和らぎますので、ご心配には及びません。", C, "必ず痛みが和らぎます"),
        ("担当医の見込みでは、来月には必ず歩けるようになるとのことですので、ご安心ください。", C, "必ず歩けるようになる"),
        ("リハビリを続けていただければ、確実に元の生活に戻れますから、どうぞお任せください。", C, "確実に元の生活に戻れます"),
        ("秋の検査では間違いなく数値が下がる見立てでございます。", C, "間違いなく数値が下がる"),
        ("来週には必ず個室に移れる予定ですので、お待ちください。", C, "必ず個室に移れる"),
        ("この体操を続ければ、きっと膝の痛みも消えますので、ぜひお試しください。", C, "きっと膝の痛みも消えます"),
        ("先生のお見立てでは、年内には必ず自宅へ戻れるとのことです。", C, "必ず自宅へ戻れる"),
    ],
    "absolute negative": [
        ("このような手違いは今後一切いたしません。", C, "一切いたしません"),
        ("もう二度とお父様に寂しい思いはさせません。", C, "二度とお父様に寂しい思いはさせません"),
        ("決してお返事が遅くなることはございません。", C, "決してお返事が遅くなることはございません"),
        ("同じような誤配は今後一切起こりません。", C, "一切起こりません"),
        ("決してお母様をお一人にはさせません。", C, "決してお母様をお一人にはさせません"),
        ("二度と同じ薬の取り違えは起こしません。", C, "二度と同じ薬の取り違えは起こしません"),
    ],
    "action promise": [
        ("来月からは必ず毎週水曜日に入浴していただけるようにいたします。", C, "入浴していただけるようにいたします"),
        ("今後は必ず午前中にお部屋を掃除いたします。", C, "必ず午前中にお部屋を掃除いたします"),
        ("次からは確実に予定どおりの時刻にお迎えに上がります。", C, "確実に予定どおりの時刻にお迎えに上がります"),
        ("毎週月曜日に洗濯物をお返しすると確かにお約束いたします。", C, "お返しすると確かにお約束いたします"),
        ("週に二回は外出の機会を設けると固くお約束いたします。", C, "設けると固くお約束いたします"),
        ("明日からは必ず毎食後に歯磨きのお手伝いをいたします。", C, "必ず毎食後に歯磨きのお手伝いをいたします"),
        ("今後は毎月必ず体重の記録をお送りいたします。", C, "必ず体重の記録をお送りいたします"),
        # a procedure promised on time is an outcome, not a procedure
        ("次からは必ず時刻どおりにお食事をお届けいたします。", C, "必ず時刻どおりにお食事をお届けいたします"),
        ("来月からは確実に期日どおりに請求書をお送りいたします。", C, "確実に期日どおりに請求書をお送りいたします"),
    ],
    "liability or money": [
        ("連絡帳の記入が漏れていたことが原因でございます。", L, "記入が漏れていたことが原因でございます"),
        ("職員の見守りが不十分だったのが原因です。", L, "見守りが不十分だったのが原因です"),
        ("手すりの点検を怠っていたことが原因でございました。", L, "怠っていたことが原因"),
        ("職員の確認が足りなかったことが原因でございます。", L, "確認が足りなかったことが原因"),
        ("夜間にお部屋を見回らなかったことが原因でございます。", L, "見回らなかったことが原因でございます"),
        ("職員がご家族に確認しなかったことが原因でございます。", L, "確認しなかったことが原因でございます"),
        ("弁解の余地もございません。", L, "弁解の余地もございません"),
        ("言い訳のしようもございません。", L, "言い訳のしようもございません"),
        ("眼鏡の修理代はこちらで持たせていただきます。", L, "修理代はこちらで持たせていただきます"),
        ("破れた上着の代金はこちらで持たせていただきます。", L, "代金はこちらで持たせていただきます"),
        ("お洋服のクリーニング代は当施設でお支払いいたします。", L, "当施設でお支払いいたします"),
    ],
    "vague": [
        ("個室へのお引っ越しは、実現させる方向で考えております。", A, "方向で考えております"),
        ("面会時間の延長は、実施の方向で検討しております。", A, "実施の方向で検討しております"),
        ("散歩の回数を増やす件は、前向きな方向性で調整してまいります。", A, "方向性で調整してまいります"),
        ("外泊については、認める方向で検討いたします。", A, "認める方向で検討いたします"),
        ("ペットとの面会は、お受けする方向性で考えております。", A, "お受けする方向性で考えております"),
        ("送迎時刻の変更は、ご要望に沿う方向で検討しております。", A, "方向で検討しております"),
    ],
    # the same arrangements said as what will happen from now on are promises
    "measure promised for the future": [
        ("今後は職員が必ず食堂に残ります。", C, "必ず食堂に残ります"),
        ("来月からは夜間も必ず二名で見回りますので、ご安心ください。", C, "必ず二名で見回ります"),
        ("今後は転倒が確実に減る見込みでございます。", C, "確実に減る"),
        ("今後は必ず午後にもお部屋を掃除いたします。", C, "必ず午後にもお部屋を掃除いたします"),
        ("今後は食事の際に必ず看護師が隣に座ります。", C, "必ず看護師が隣に座ります"),
    ],
}

QUIET = {
    "embedded promise": [
        "入浴の際は必ず職員が付き添いますので、ご安心ください。",
        "必ず良くなると信じて、毎日歩く練習を続けておられました。",
        "必ず治ると励まし続けたご家族のお力が大きかったと存じます。",
        "お母様はきっと喜んでくださると思い、写真をお送りいたします。",
        "昨日のお誕生会では、お父様が確かに笑顔を見せておられました。",
        "先月の検査では必ずしも良い結果ではありませんでした。",
    ],
    "absolute negative": [
        "利用料以外の費用は一切かかりません。",
        "施設内への刃物の持ち込みは一切お断りしております。",
        "当時の記録には、そうした記載は一切ございませんでした。",
        "二度と会えないと思っていた旧友との再会に、涙ぐんでおられました。",
        "ご本人は「二度と転びたくない」とおっしゃっていました。",
        "決して無理をなさらないでください。",
    ],
    "action promise": [
        "お約束の時間に伺います。",
        "先日お約束した資料を同封いたします。",
        "書類は確かにお預かりいたします。",
        "ご依頼の件は確かに承りました。",
        "体調に変化があれば必ずご報告いたします。",
        "面会の前日までに必ずお電話でご予約ください。",
        "ご面会の際は必ず時間どおりにお越しください。",
        "変更がある場合は、必ず前日までにお知らせいたします。",
    ],
    "liability or money": [
        "原因は現在調査しております。",
        "バスが来なかったのが原因です。",
        "ご本人が薬を飲み忘れたことが原因でした。",
        "誤嚥の原因は、飲み込む力が弱まっていたことでございます。",
        "原因は、気圧の変化が大きかったことが原因と考えられます。",
        "ご心配をおかけし、申し訳ございません。",
        "送料は当方で持たせていただきます。",
        "お荷物はこちらで持たせていただきます。",
        "事務手数料は当方で持たせていただきます。",
        "おむつ代はご家族様にお支払いいただきます。",
    ],
    "vague": [
        "4月1日から面会時間を延長する方向で決定いたしました。",
        "ご本人は前向きに考えておられるご様子です。",
        "お父様は退院に向けて前向きに考えていらっしゃいます。",
        "施設の南側の方向に新しい駐車場ができました。",
        "駐車場の方向へお進みください。",
    ],
    "completed measure": [
        "日中は必ず職員一名がフロアに残る体制をとりました。",
        "夕食後は職員一名が必ず廊下に残る形といたしました。",
        "歩行の際は必ず職員が横につく方針に改めました。",
        "配薬の際は必ず二名で読み上げる手順を取り入れました。",
        "夜間は必ず一時間おきに見回る体制にしております。",
        "必ず職員が付き添うようにしておりますので、ご安心ください。",
        "お届けの際は必ずご本人に手渡すと決めております。",
    ],
}


@pytest.mark.parametrize("kind,text,category,words", [
    (k, t, c, w) for k, rows in FLAGGED.items() for t, c, w in rows])
def test_risky_wording_is_flagged(runner, kind, text, category, words):
    got = risks(runner, text)
    assert any(c == category and words in t for c, t in got), (kind, got)


@pytest.mark.parametrize("kind,text", [(k, t) for k, rows in QUIET.items() for t in rows])
def test_near_miss_stays_quiet(runner, kind, text):
    assert risks(runner, text) == [], kind


def test_each_kind_has_five_of_each():
    for kind, rows in FLAGGED.items():
        assert len(rows) >= 5, kind
    for kind, rows in QUIET.items():
        assert len(rows) >= 5, kind


def test_new_vocabularies_are_loaded():
    rule = DependencyRiskRule(load_risk_data())
    assert "体制" in rule.measure_nouns and "思う" in rule.belief_verbs
    assert "漏れる" in rule.lapse_words and rule.admission.search("弁解の余地もございません")
    assert not rule.admission.search("ご説明の余地がございます")


@pytest.mark.parametrize("text", [
    "連絡帳の記入が漏れていたことが原因でございます。",
    "眼鏡の修理代はこちらで持たせていただきます。",
    "面会時間の延長は、実施の方向で検討しております。",
    "このお薬を飲み続ければ必ず痛みが和らぎますので、ご心配には及びません。",
    "弁解の余地もございません。",
])
def test_first_suggestion_leaves_no_risk(runner, text):
    for f, fixed in first_suggestions_clear_the_risk(runner, text, CTX, no_fix_words=("書き方",)):
        assert fixed.endswith("。") and f.suggestions[0] in fixed


@pytest.mark.parametrize("key", ["admission", "punctual"])
def test_rule_data_regexes_keep_their_examples(key):
    d = load_risk_data()
    section = d["liability"] if key == "admission" else d["commitment"]
    rx = re.compile(section[f"{key}_re"])
    for ex in section[f"{key}_must_match"]:
        assert rx.search(ex), ex
    for ex in section[f"{key}_must_not_match"]:
        assert not rx.search(ex), ex
