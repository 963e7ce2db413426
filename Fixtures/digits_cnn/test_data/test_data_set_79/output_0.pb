
BlogitsJ(JМ7аУPfаK╡Pю©т╪ю=├ажЬLаЙtаэ┼|A∙Rац_а