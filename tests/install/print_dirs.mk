# Read together with the build's Makefile (make -f Makefile -f print_dirs.mk): prints the
# installation directories as make expands them, one `name=value` a line.
kinko-print-dirs:
	@echo 'prefix=$(prefix)'
	@echo 'bindir=$(bindir)'
	@echo 'pkcs11libdir=$(pkcs11libdir)'
	@echo 'p11moduledir=$(p11moduledir)'
	@echo 'udevrulesdir=$(udevrulesdir)'
	@echo 'bashcompletiondir=$(bashcompletiondir)'
	@echo 'pcscbundledir=$(pcscbundledir)'
	@echo 'libccid=$(LIBCCID)'
	@echo 'kinkoconfdir=$(kinkoconfdir)'
	@echo 'mandir=$(mandir)'
	@echo 'includedir=$(includedir)'
	@echo 'localedir=$(localedir)'
	@echo 'po4a=$(PO4A)'
