/**
 * Code tables for the card's coded fields: gender (GB/T 2261.1), ethnicity (GB 3304, with 97 and 98
 * as in idcard-protocol.md) and nationality (ISO 3166-1 alpha-3, names from ICU).
 */

export type GenderLabel = "unknown" | "male" | "female" | "unspecified";

export interface Gender {
  readonly code: string;
  readonly label: GenderLabel;
}

const GENDERS: Readonly<Record<string, GenderLabel>> = { "0": "unknown", "1": "male", "2": "female", "9": "unspecified" };

/** A gender code, or undefined when it is none of GB/T 2261.1's four. */
export function decodeGender(code: string): Gender | undefined {
  const label = GENDERS[code];
  return label === undefined ? undefined : { code, label };
}

export function genderCode(label: GenderLabel): string {
  for (const [code, l] of Object.entries(GENDERS)) if (l === label) return code;
  return "0";
}

/** GB 3304 names of the 56 ethnic groups, code 01–56 in order. */
const ETHNICITIES = [
  "汉", "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼",
  "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土",
  "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克",
  "俄罗斯", "鄂温克", "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
] as const;

export interface Ethnicity {
  readonly code: string;
  /** The group's name in Chinese (`汉`, `其他`, ...). */
  readonly name: string;
}

/** A nation code of the resident card, or undefined when it is not 01–56, 97 or 98. */
export function decodeEthnicity(code: string): Ethnicity | undefined {
  if (!/^[0-9]{2}$/.test(code)) return undefined;
  const n = Number(code);
  if (n >= 1 && n <= ETHNICITIES.length) return { code, name: ETHNICITIES[n - 1] ?? "" };
  if (n === 97) return { code, name: "其他" };
  if (n === 98) return { code, name: "外国血统中国籍人士" };
  return undefined;
}

/** ISO 3166-1 alpha-3 → alpha-2 (alpha-2 is what ICU names regions by). */
const ALPHA3_TO_ALPHA2 = new Map(
  (
    "AFGAF ALAAX ALBAL DZADZ ASMAS ANDAD AGOAO AIAAI ATAAQ ATGAG ARGAR ARMAM ABWAW AUSAU AUTAT AZEAZ BHSBS BHRBH BGDBD BRBBB BLRBY " +
    "BELBE BLZBZ BENBJ BMUBM BTNBT BOLBO BESBQ BIHBA BWABW BVTBV BRABR IOTIO BRNBN BGRBG BFABF BDIBI CPVCV KHMKH CMRCM CANCA CYMKY " +
    "CAFCF TCDTD CHLCL CHNCN CXRCX CCKCC COLCO COMKM COGCG CODCD COKCK CRICR CIVCI HRVHR CUBCU CUWCW CYPCY CZECZ DNKDK DJIDJ DMADM " +
    "DOMDO ECUEC EGYEG SLVSV GNQGQ ERIER ESTEE SWZSZ ETHET FLKFK FROFO FJIFJ FINFI FRAFR GUFGF PYFPF ATFTF GABGA GMBGM GEOGE DEUDE " +
    "GHAGH GIBGI GRCGR GRLGL GRDGD GLPGP GUMGU GTMGT GGYGG GINGN GNBGW GUYGY HTIHT HMDHM VATVA HNDHN HKGHK HUNHU ISLIS INDIN IDNID " +
    "IRNIR IRQIQ IRLIE IMNIM ISRIL ITAIT JAMJM JPNJP JEYJE JORJO KAZKZ KENKE KIRKI PRKKP KORKR KWTKW KGZKG LAOLA LVALV LBNLB LSOLS " +
    "LBRLR LBYLY LIELI LTULT LUXLU MACMO MDGMG MWIMW MYSMY MDVMV MLIML MLTMT MHLMH MTQMQ MRTMR MUSMU MYTYT MEXMX FSMFM MDAMD MCOMC " +
    "MNGMN MNEME MSRMS MARMA MOZMZ MMRMM NAMNA NRUNR NPLNP NLDNL NCLNC NZLNZ NICNI NERNE NGANG NIUNU NFKNF MKDMK MNPMP NORNO OMNOM " +
    "PAKPK PLWPW PSEPS PANPA PNGPG PRYPY PERPE PHLPH PCNPN POLPL PRTPT PRIPR QATQA REURE ROURO RUSRU RWARW BLMBL SHNSH KNAKN LCALC " +
    "MAFMF SPMPM VCTVC WSMWS SMRSM STPST SAUSA SENSN SRBRS SYCSC SLESL SGPSG SXMSX SVKSK SVNSI SLBSB SOMSO ZAFZA SGSGS SSDSS ESPES " +
    "LKALK SDNSD SURSR SJMSJ SWESE CHECH SYRSY TWNTW TJKTJ TZATZ THATH TLSTL TGOTG TKLTK TONTO TTOTT TUNTN TURTR TKMTM TCATC TUVTV " +
    "UGAUG UKRUA AREAE GBRGB USAUS UMIUM URYUY UZBUZ VUTVU VENVE VNMVN VGBVG VIRVI WLFWF ESHEH YEMYE ZMBZM ZWEZW"
  )
    .split(" ")
    .map((pair) => [pair.slice(0, 3), pair.slice(3)] as const),
);

export const NATIONALITY_CODE_COUNT = ALPHA3_TO_ALPHA2.size;

export interface Nationality {
  readonly code: string;
  /** Names from ICU; undefined for a well-formed code ISO 3166-1 does not list (kept, not rejected). */
  readonly nameEn: string | undefined;
  readonly nameZh: string | undefined;
}

const EN = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
const ZH = new Intl.DisplayNames(["zh"], { type: "region", fallback: "none" });

/** A nationality code: three upper-case letters, named when ISO 3166-1 lists it; undefined when malformed. */
export function decodeNationality(code: string): Nationality | undefined {
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  const alpha2 = ALPHA3_TO_ALPHA2.get(code);
  if (alpha2 === undefined) return { code, nameEn: undefined, nameZh: undefined };
  return { code, nameEn: EN.of(alpha2), nameZh: ZH.of(alpha2) };
}
