
BlogitsJ(ÜmkÁ„¤üÀÄª~ÁZþ³ÀäSÁzkAÑÞxÁŠÀHë'ÁÁ