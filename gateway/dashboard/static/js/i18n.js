/**
 * The dashboard's words, Simplified Chinese first (the supervisors' language) and English. Every key
 * exists in both (test/dashboard-client.test.ts checks it). `{name}` in a string is replaced by t()'s
 * parameters.
 */
export const LANGUAGES = ["zh", "en"];

export const MESSAGES = {
  zh: {
    appTitle: "CareWitness 监管看板",
    skipToContent: "跳到主要内容",
    switchLanguage: "English",
    switchLanguageLabel: "Switch to English",
    navInbox: "告警",
    navInstitutions: "机构",
    navFleet: "设备",
    navAudit: "审计日志",
    logout: "退出",
    loginTitle: "登录",
    loginHelp: "请输入管理员发放的 API 令牌。令牌只保存在本浏览器标签页中。",
    tokenLabel: "API 令牌",
    loginButton: "登录",
    loginFailed: "令牌无效或已撤销。",
    loading: "加载中…",
    loadFailed: "加载失败：{message}",
    inboxTitle: "告警收件箱",
    filters: "筛选",
    filterInstitution: "机构",
    filterRule: "规则",
    filterSeverity: "严重程度",
    filterState: "状态",
    filterFrom: "起始时间",
    filterTo: "结束时间",
    any: "全部",
    applyFilters: "应用",
    resetFilters: "重置",
    liveConnected: "实时更新已连接",
    liveReconnecting: "实时更新中断，正在重连…",
    newAlertAnnounce: "新告警：{rule}，{institution}",
    noAlerts: "没有符合条件的告警。",
    loadMore: "加载更多",
    colRaised: "时间",
    colRule: "规则",
    colSeverity: "严重程度",
    colInstitution: "机构",
    colPatient: "患者",
    colState: "状态",
    colExplanation: "说明",
    colActions: "操作",
    open: "查看",
    newBadge: "新",
    actionAcknowledge: "确认收到",
    actionConfirm: "认定属实",
    actionDismiss: "驳回",
    actionClose: "关闭",
    reason: "理由",
    note: "备注",
    submit: "提交",
    cancel: "取消",
    reasonRequired: "驳回必须填写理由和备注。",
    actionDone: "已执行：{action}",
    actionRefused: "操作被拒绝：{message}",
    allowedNow: "当前可执行：{actions}",
    detailTitle: "告警详情",
    backToInbox: "返回收件箱",
    ruleExplanation: "规则说明",
    timeline: "时间线",
    timelineBilling: "结算明细",
    timelineEvent: "核验事件",
    timelineStatus: "设备状态",
    stateHistory: "状态记录",
    evidence: "证据",
    downloadEvidence: "下载签名证据包",
    evidenceDownloaded: "证据包已下载。",
    billingLines: "结算明细行",
    events: "事件",
    noTimeline: "没有时间线记录。",
    by: "操作人",
    institutionsTitle: "机构概况",
    chooseInstitution: "选择机构",
    coverageTitle: "每周已核验的结算治疗占比",
    coverageChartLabel: "每周已核验占比折线图，共 {n} 周",
    coverageNone: "暂无覆盖率数据。",
    alertsByRule: "按规则统计的告警",
    boxesOnline: "在线设备",
    boxesOnlineValue: "{online} / {total} 台在线",
    week: "周",
    verifiedShare: "已核验占比",
    billedSessions: "结算次数",
    verifiedSessions: "已核验次数",
    precisionTitle: "规则精确率（已审核告警）",
    precision: "精确率",
    reviewed: "已审核",
    confirmed: "属实",
    dismissed: "驳回",
    fleetTitle: "设备列表",
    colBox: "设备",
    colRole: "类型",
    colLocation: "位置",
    colLastSeen: "最后在线",
    colBacklog: "待发送积压",
    colStatus: "状态",
    colEnabled: "启用",
    unknown: "未知",
    yes: "是",
    no: "否",
    auditTitle: "审计日志",
    colAt: "时间",
    colActor: "操作人",
    colAction: "动作",
    colSubject: "对象",
    colDetail: "详情",
    noAudit: "暂无审计记录。",
    role_dialysis_station: "透析床位",
    role_ward_round: "查房终端",
    online: "在线",
    offline: "离线",
    state_open: "待处理",
    state_acknowledged: "已确认收到",
    state_confirmed: "已认定属实",
    state_dismissed: "已驳回",
    state_closed: "已关闭",
    state_auto_resolved: "已自动解除",
    severity_critical: "严重",
    severity_high: "高",
    severity_warning: "警告",
    severity_medium: "中",
    severity_low: "低",
    severity_info: "提示",
    action_acknowledge: "确认收到",
    action_confirm: "认定属实",
    action_dismiss: "驳回",
    action_close: "关闭",
  },
  en: {
    appTitle: "CareWitness supervision",
    skipToContent: "Skip to main content",
    switchLanguage: "中文",
    switchLanguageLabel: "切换到中文",
    navInbox: "Alerts",
    navInstitutions: "Institutions",
    navFleet: "Boxes",
    navAudit: "Audit log",
    logout: "Log out",
    loginTitle: "Log in",
    loginHelp: "Enter the API token your administrator gave you. It is kept in this browser tab only.",
    tokenLabel: "API token",
    loginButton: "Log in",
    loginFailed: "Unknown or revoked token.",
    loading: "Loading…",
    loadFailed: "Could not load: {message}",
    inboxTitle: "Alert inbox",
    filters: "Filters",
    filterInstitution: "Institution",
    filterRule: "Rule",
    filterSeverity: "Severity",
    filterState: "State",
    filterFrom: "From",
    filterTo: "To",
    any: "Any",
    applyFilters: "Apply",
    resetFilters: "Reset",
    liveConnected: "Live updates connected",
    liveReconnecting: "Live updates interrupted, reconnecting…",
    newAlertAnnounce: "New alert: {rule}, {institution}",
    noAlerts: "No alerts match.",
    loadMore: "Load more",
    colRaised: "Raised",
    colRule: "Rule",
    colSeverity: "Severity",
    colInstitution: "Institution",
    colPatient: "Patient",
    colState: "State",
    colExplanation: "Explanation",
    colActions: "Actions",
    open: "Open",
    newBadge: "new",
    actionAcknowledge: "Acknowledge",
    actionConfirm: "Confirm",
    actionDismiss: "Dismiss",
    actionClose: "Close",
    reason: "Reason",
    note: "Note",
    submit: "Submit",
    cancel: "Cancel",
    reasonRequired: "Dismissing needs a reason and a note.",
    actionDone: "Done: {action}",
    actionRefused: "Refused: {message}",
    allowedNow: "Allowed now: {actions}",
    detailTitle: "Alert",
    backToInbox: "Back to the inbox",
    ruleExplanation: "What the rule checks",
    timeline: "Timeline",
    timelineBilling: "Billing line",
    timelineEvent: "Check event",
    timelineStatus: "Box status",
    stateHistory: "State history",
    evidence: "Evidence",
    downloadEvidence: "Download the signed evidence bundle",
    evidenceDownloaded: "Evidence bundle downloaded.",
    billingLines: "Billing lines",
    events: "Events",
    noTimeline: "Nothing on the timeline.",
    by: "By",
    institutionsTitle: "Institution",
    chooseInstitution: "Institution",
    coverageTitle: "Share of billed sessions verified, per week",
    coverageChartLabel: "Line chart of the weekly verified share, {n} weeks",
    coverageNone: "No coverage figures yet.",
    alertsByRule: "Alerts by rule",
    boxesOnline: "Boxes online",
    boxesOnlineValue: "{online} of {total} online",
    week: "Week",
    verifiedShare: "Verified share",
    billedSessions: "Billed",
    verifiedSessions: "Verified",
    precisionTitle: "Rule precision (reviewed alerts)",
    precision: "Precision",
    reviewed: "Reviewed",
    confirmed: "Confirmed",
    dismissed: "Dismissed",
    fleetTitle: "Boxes",
    colBox: "Box",
    colRole: "Role",
    colLocation: "Location",
    colLastSeen: "Last seen",
    colBacklog: "Outbox backlog",
    colStatus: "Status",
    colEnabled: "Enabled",
    unknown: "unknown",
    yes: "yes",
    no: "no",
    auditTitle: "Audit log",
    colAt: "At",
    colActor: "Actor",
    colAction: "Action",
    colSubject: "Subject",
    colDetail: "Detail",
    noAudit: "No audit entries yet.",
    role_dialysis_station: "Dialysis station",
    role_ward_round: "Ward round",
    online: "online",
    offline: "offline",
    state_open: "open",
    state_acknowledged: "acknowledged",
    state_confirmed: "confirmed",
    state_dismissed: "dismissed",
    state_closed: "closed",
    state_auto_resolved: "resolved automatically",
    severity_critical: "critical",
    severity_high: "high",
    severity_warning: "warning",
    severity_medium: "medium",
    severity_low: "low",
    severity_info: "info",
    action_acknowledge: "acknowledge",
    action_confirm: "confirm",
    action_dismiss: "dismiss",
    action_close: "close",
  },
};

/** Short names of the rule catalogue (issue 7); the full explanation comes with each alert from the gateway. */
export const RULE_NAMES = {
  D1: { zh: "D1 结算透析无核验签到", en: "D1 billed session without verified check-in" },
  D2: { zh: "D2 冒名顶替（人脸不符或疑似攻击）", en: "D2 impersonation (face mismatch or spoof)" },
  D3: { zh: "D3 无签退或治疗时长不足", en: "D3 no check-out or session too short" },
  D4: { zh: "D4 同一患者治疗时间重叠", en: "D4 overlapping sessions" },
  D5: { zh: "D5 7 日内治疗次数超限", en: "D5 too many sessions in 7 days" },
  D6: { zh: "D6 住院期间结算门诊透析", en: "D6 outpatient dialysis while an inpatient" },
  B1: { zh: "B1 查房不在床仍结算床日", en: "B1 bed-day billed while found absent" },
  B2: { zh: "B2 连续多日无床旁核验", en: "B2 no bedside check for days" },
  B3: { zh: "B3 床日数超过住院天数", en: "B3 more bed-days than days of stay" },
  C1: { zh: "C1 设备离线期间结算（无法核验）", en: "C1 billed while the box was offline (unverifiable)" },
  A1: { zh: "A1 查房发现住院患者不在床", en: "A1 inpatient found absent at a bedside check" },
  W1: { zh: "W1 监控名单证件出现", en: "W1 watch-listed card presented" },
  W2: { zh: "W2 监控名单人脸出现", en: "W2 watch-listed face seen" },
  E1: { zh: "E1 一人两证（同一人脸登记于两张证件）", en: "E1 one face enrolled under two identities" },
};

export const ACTIONS = ["acknowledge", "confirm", "dismiss", "close"];
export const STATES = ["open", "acknowledged", "confirmed", "dismissed", "closed", "auto_resolved"];
export const SEVERITIES = ["critical", "warning", "info"];

let current = "zh";

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  current = lang;
}

export function t(key, params = {}) {
  const table = MESSAGES[current];
  const text = Object.hasOwn(table, key) ? table[key] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (Object.hasOwn(params, name) ? String(params[name]) : `{${name}}`));
}

/** A label for a value of an enumerated field (state_open, severity_critical…), falling back to the raw value. */
export function label(prefix, value) {
  if (value === null || value === undefined || value === "") return t("unknown");
  const key = `${prefix}_${value}`;
  return Object.hasOwn(MESSAGES[current], key) ? t(key) : String(value);
}

export function ruleName(rule) {
  const entry = Object.hasOwn(RULE_NAMES, rule) ? RULE_NAMES[rule] : undefined;
  return entry === undefined ? String(rule ?? t("unknown")) : entry[current];
}

/** The alert's explanation in the current language, the other if that one is missing. */
export function explanationText(explanation) {
  if (explanation === null || explanation === undefined) return "";
  if (typeof explanation === "string") return explanation;
  return explanation[current] ?? explanation.zh ?? explanation.en ?? "";
}

const dateFormats = {
  zh: new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "medium", hour12: false }),
  en: new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Shanghai", dateStyle: "medium", timeStyle: "medium" }),
};

/** Times in China Standard Time, where the institutions are, whatever the viewer's machine says. */
export function formatTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (Number.isNaN(ms)) return String(value);
  return dateFormats[current].format(new Date(ms));
}

export function formatPercent(share) {
  if (share === null || share === undefined || Number.isNaN(share)) return "—";
  return `${(share * 100).toFixed(1)}%`;
}
