"""Realistic synthetic people for the demo community, the district generator and the tests.

Names follow common Chinese surnames and given-name characters; ID numbers carry a real region code of
兰州市城关区 and a correct GB 11643 check digit (computed by python-stdnum), so they pass the same
validation as real ones.
"""

import datetime
import random

from stdnum.cn import ric

# 兰州市城关区 and neighbouring districts: region codes that python-stdnum knows.
REGION_CODES = ("620102", "620103", "620104", "620105")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志文博海峰亮成东"
GIVEN_FEMALE = "芳娜敏静丽艳娟秀霞玲桂英兰红梅琳雪婷慧莉萍燕晶颖倩瑶佳欣怡丹蓉琴璐悦月凤云"


def make_id_number(
    birth: datetime.date, sex_male: bool, rng: random.Random, region: str | None = None
) -> str:
    """A valid 18-digit ID number for the birth date and sex, with a random sequence."""
    region = region or rng.choice(REGION_CODES)
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if sex_male else (0, 2, 4, 6, 8))
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function skips the last character


def make_name(sex_male: bool, rng: random.Random, surname: str | None = None) -> str:
    pool = GIVEN_MALE if sex_male else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return (surname or rng.choice(SURNAMES)) + given


def make_mobile(rng: random.Random) -> str:
    prefix = rng.choice(("130", "131", "133", "135", "137", "138", "139", "150", "151", "153"))
    return prefix + f"{rng.randrange(0, 10**8):08d}"


def make_birth_date(rng: random.Random, min_age: int, max_age: int, today: datetime.date):
    age_days = rng.randrange(min_age * 365 + 1, max_age * 365 + 300)
    return today - datetime.timedelta(days=age_days)
