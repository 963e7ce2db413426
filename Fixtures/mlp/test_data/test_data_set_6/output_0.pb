
BlogitsJ(џэQЅ7гAкиv?+ЅђLXјо3JЅkэ1јь*
ЅNхЈ?mГBЅ