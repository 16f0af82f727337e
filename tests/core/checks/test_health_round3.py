"""Health round 3: a body part composed with a finding, vital and function changes, symptoms written with
inflected verbs, 後遺症 with its cause, …剤 drug classes (household 剤 stay quiet), care levels that
belong to a person, and readings that are no finding (平熱, 通院 alone). Fresh sentences throughout."""

import pytest

CTX = {"recipient": {"name": "西田 正和"}, "subject": {"name": "西田 フミ"}, "sender": {"name": "木村 遥"},
       "facility": {"name": "グループホーム すずらんの家"}}


def health(runner, text, context=CTX):
    return [f.text for f in runner.check(text, context) if f.category == "pii.health"]


FLAGGED = {
    "body_part": [
        ("入浴の際、右ひざの内出血に気づきました。", "右ひざの内出血"),
        ("昨夕から口の中のただれが気になるご様子です。", "口の中のただれ"),
        ("左かかとの赤みが少し広がっております。", "左かかとの赤み"),
        ("歯ぐきが腫れて、食事に時間がかかっておられます。", "歯ぐきが腫れ"),
        ("ひざが痛むとおっしゃっていました。", "ひざが痛む"),
        ("両足首のむくみが朝より目立ちます。", "両足首のむくみ"),
    ],
    "function": [
        ("最近、歩行の力の衰えが見られます。", "歩行の力の衰え"),
        ("夜間に呼吸の乱れがありました。", "呼吸の乱れ"),
        ("血圧の上昇が続いております。", "血圧の上昇"),
        ("脈拍の乱れがあり、看護師が確認しました。", "脈拍の乱れ"),
        ("飲み込む力の低下がみられます。", "飲み込む力の低下"),
    ],
    "symptom": [
        ("夜中に痰がからんで眠れないご様子でした。", "痰がからん"),
        ("立ち上がった時にふらつきがあります。", "ふらつき"),
        ("朝からめまいを訴えておられます。", "めまい"),
        ("夕食後に吐き気がありました。", "吐き気"),
        ("手のしびれが続いています。", "手のしびれ"),
    ],
    "sequela": [
        ("脳出血の後遺症で右手が動かしにくくなっております。", "脳出血の後遺症"),
        ("大腿骨骨折の後遺症があります。", "大腿骨骨折の後遺症"),
        ("交通事故の後遺症で長い距離は歩けません。", "交通事故の後遺症"),
        ("フミ様は脳梗塞の後遺症のため言葉が出にくいことがあります。", "脳梗塞の後遺症"),
        ("若い頃のけがの後遺症で、雨の日は膝を気にされます。", "けがの後遺症"),
    ],
    "drug_class": [
        ("鉄剤を朝食後に飲んでいただいています。", "鉄剤"),
        ("去痰剤を飲まれています。", "去痰剤"),
        ("整腸剤を処方されました。", "整腸剤"),
        ("利尿剤が追加になりました。", "利尿剤"),
        ("主治医の指示で胃腸薬とともに制酸剤が出ております。", "制酸剤"),
    ],
    "care_level": [
        ("フミ様は要介護3の認定を受けられました。", "要介護3"),
        ("お母様は要支援1から要介護1に変更となりました。", "要支援1"),
        ("お母様は要支援1から要介護1に変更となりました。", "要介護1"),
        ("先日の更新で要介護2となりました。", "要介護2"),
        ("フミ様の区分は要介護4のままです。", "要介護4"),
    ],
}

QUIET = {
    "body_part": ["ひざ掛けをお持ちいただけますと助かります。", "手の甲にスタンプを押して遊びました。",
                  "背中を流すお手伝いをしました。", "腰を下ろしてお茶を楽しまれました。",
                  "かかとの高い靴はお控えください。"],
    "function": ["売上の低下が続いております。", "電波の乱れでテレビが見づらい日がありました。",
                 "天候の悪化が予想されます。", "生活の乱れがないよう日課を決めています。",
                 "看護師によると、脈拍は安定しているとのことです。"],
    "symptom": ["ふらりと散歩に出かけられました。", "吐く息が白い季節になりました。",
                "紅茶を飲まれて気分よく過ごされました。", "めずらしく雪が積もりました。",
                "お話がはずんで笑顔が見られました。"],
    "sequela": ["転倒によるけがの後遺症はございません。", "後遺症について学ぶ研修会を開きます。",
                "先月の打ち身は後遺症もなく治りました。", "手術の説明を家族と聞きました。",
                "経過は良好です。"],
    "drug_class": ["洗剤の補充をお願いします。", "漂白剤でふきんを消毒しました。", "消臭剤を居室に置きました。",
                   "入浴剤を使ったお風呂を楽しまれました。", "防虫剤を衣類に入れました。",
                   "接着剤で工作をしました。", "乾燥剤が入っております。"],
    "care_level": ["要介護1以上の方が対象です。", "要支援2の方もご利用いただけます。",
                   "要介護3から5の方が入所の対象となります。", "要介護2の場合の利用料は別表のとおりです。",
                   "要介護5：1日あたり 950円"],
    "precision": ["本日も平熱で過ごされました。", "朝の検温では平熱でした。", "月に一度通院されています。",
                  "通院の付き添いをお願いします。", "通院日は毎月第二火曜日です。"],
}


@pytest.mark.nlp
@pytest.mark.parametrize("text,word", [pair for pairs in FLAGGED.values() for pair in pairs])
def test_health_phrases_are_found(runner, text, word):
    assert word in health(runner, text), health(runner, text)


@pytest.mark.nlp
@pytest.mark.parametrize("text", [t for texts in QUIET.values() for t in texts])
def test_ordinary_uses_stay_quiet(runner, text):
    assert health(runner, text) == []


@pytest.mark.nlp
def test_drug_class_after_a_time_of_taking_names_the_drug_only(runner):
    assert "鉄剤" in health(runner, "フミ様は毎日、朝食後鉄剤を飲まれています。")


@pytest.mark.nlp
def test_named_condition_with_a_visit_is_still_found(runner):
    assert health(runner, "糖尿病で月に一度通院されています。") == ["糖尿病"]
