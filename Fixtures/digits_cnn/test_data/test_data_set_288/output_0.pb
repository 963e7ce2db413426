
BlogitsJ(ыхјtu^ј∞'qAкујвClЅц4МЅЬU#ЅЁ’…ј†tRјM4dЅ