// The report the integration prepares for the pages (see index.ts: "How data reaches the pages").
declare module 'virtual:clipscope/report' {
  const report: import('../../src/lib/report.ts').ReportData;
  export default report;
}
