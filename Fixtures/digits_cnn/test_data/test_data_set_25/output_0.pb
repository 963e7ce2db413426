
BlogitsJ(ый-аS]▌а╖═Паj>ююенюбЙCAMB╦юXФEа5═аl(Сю