// The report the integration prepares for the pages (see index.ts: "How data reaches the pages").
declare module 'virtual:clipscope/report' {
  const report: import('./report/report.ts').ReportData;
  export default report;
}
